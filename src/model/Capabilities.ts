/**
 * What an adapter can express and observe. Generators read it, so a case an
 * adapter cannot express is never generated for it (and never counted as a pass).
 */
export interface Capabilities {
  elfClasses: readonly (32 | 64)[];
  /** Guest memory sizes it can give, in bytes. */
  memory: { min: number; max: number };
  maxModules: number;
  moduleCmdlines: boolean;
  /** Longest command line it passes through. */
  maxCmdline: number;
  /** Whether it honours PHYS32_RELOC by moving images (so cases may require relocation). */
  relocation: boolean;
  /** Whether it can be fed malformed kernels and report a refusal. */
  malformed: boolean;
  /**
   * What the generated kernels run at their entry: "halt" (a loop a debugger stops
   * in front of; default) or "probe" (the self-reporting guest, for loaders no
   * debugger can stop, such as Xen's dom0 builder).
   */
  entryCode?: "halt" | "probe";
}

export const GIB = 1024 * 1024 * 1024;
export const MIB = 1024 * 1024;
