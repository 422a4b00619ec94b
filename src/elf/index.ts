// Public surface of the ELF toolkit.
export { ELF } from "./ELF.js";
export { ElfError, type ElfErrorCode } from "./ElfError.js";
export type * from "./elfTypes.js";
export { readElf } from "./readElf.js";
export { elfBytesNeeded, type ElfBytesNeeded } from "./elfBytesNeeded.js";
export { buildElf } from "./buildElf.js";
export type * from "./buildElf.js";
export type { EhdrField, IdentField, PhdrField, ShdrField } from "./_internals/structs.js";
