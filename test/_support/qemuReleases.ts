import { QEMU_RELEASES, qemuRelease, type QemuLaunch, type QemuRelease } from "../../adapters/qemu/qemuRelease.js";
import { inCI } from "./requireTool.js";

export interface ReleaseUnderTest {
  release: QemuRelease;
  /** How to start it, or undefined when it cannot be had here. */
  launch: QemuLaunch | undefined;
  /** Why it is skipped (outside CI only). */
  skip: string | undefined;
}

/**
 * Every Debian QEMU release the adapter knows, with how to start it: 7.2 is the
 * host's, 10.0 is fetched into the corpus cache. Outside CI a release that cannot be
 * had is skipped, and says why; in CI (CI=true) it is a failure: .ci/run installs 7.2,
 * and 10.0 is fetched.
 */
export async function qemuReleasesUnderTest(): Promise<ReleaseUnderTest[]> {
  const out: ReleaseUnderTest[] = [];
  for (const release of QEMU_RELEASES) {
    try {
      out.push({ release, launch: await qemuRelease(release), skip: undefined });
    } catch (err) {
      const why = `QEMU ${release} is not available: ${(err as Error).message}`;
      if (inCI) throw new Error(`CI: ${why}`);
      console.warn(`skipping: ${why}`);
      out.push({ release, launch: undefined, skip: why });
    }
  }
  return out;
}
