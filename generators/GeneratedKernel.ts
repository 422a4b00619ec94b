import type { KernelFacts } from "../src/model/BootCase.js";

export interface GeneratedKernel {
  image: Uint8Array;
  facts: KernelFacts;
}
