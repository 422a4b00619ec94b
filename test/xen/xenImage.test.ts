import { describe, expect, it } from "vitest";
import { xenAdapter } from "../../adapters/xen/xenAdapter.js";
import { isXenRelease, xenRelocates } from "../../adapters/xen/xenImage.js";
import { skipUnlessTool } from "../_support/requireTool.js";

// available() looks for QEMU before the image.
const qemuSkip = skipUnlessTool("qemu-system-x86_64", ["--version"], "apt-get install qemu-system-x86");

describe("choosing the Xen under test", () => {
  it("knows which versions relocate PHYS32_RELOC kernels", () => {
    expect(["Xen 4.17.7+13-g2445b30a44-0+deb12u1", "Xen 4.18.0", "Xen (unknown version)", "4.2"].map(xenRelocates)).toEqual([false, false, false, false]);
    expect(["Xen 4.19.1", "Xen 4.20.4+63-g7abfd2bce2-0+deb13u1", "4.20", "Xen 5.0.0"].map(xenRelocates)).toEqual([true, true, true, true]);
  });

  it("takes a Debian release by name, and anything else as a path", () => {
    expect(["4.20", "4.17"].every(isXenRelease)).toBe(true);
    expect(["4.18", "xen-4.20", "", "./4.20"].some(isXenRelease)).toBe(false);
  });

  it.skipIf(qemuSkip !== undefined)("says what --xen takes when the image is not there, and offers no relocation for it", async () => {
    xenAdapter.configure!({ xen: "/nonexistent/xen-4.99" });
    try {
      expect(xenAdapter.capabilities("dom0").relocation).toBe(false);
      const av = await xenAdapter.available();
      expect(av.ok).toBe(false);
      expect(av.ok ? "" : av.reason).toMatch(/no Xen image at \/nonexistent\/xen-4\.99 \(--xen takes a Debian release, 4\.17 or 4\.20, or the path/);
    } finally {
      xenAdapter.configure!({ xen: "" });
    }
  });
});
