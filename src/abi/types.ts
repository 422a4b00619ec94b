/**
 * TypeScript views of the structures of spec/layouts.json. Field names only: every
 * offset and size lives in the spec and reaches code through StructCodec. A unit
 * test checks that these key lists match the spec.
 */
export interface StartInfo {
  magic: number;
  version: number;
  flags: number;
  nr_modules: number;
  modlist_paddr: bigint;
  cmdline_paddr: bigint;
  rsdp_paddr: bigint;
  /** Version 1 and later. */
  memmap_paddr?: bigint;
  memmap_entries?: number;
  reserved?: number;
}

export interface ModlistEntry {
  paddr: bigint;
  size: bigint;
  cmdline_paddr: bigint;
  reserved: bigint;
}

export interface MemmapEntry {
  addr: bigint;
  size: bigint;
  type: number;
  reserved: number;
}

/** The fields of the Linux setup header this project reads (the spec lists all). */
export interface SetupHeader {
  setup_sects: number;
  boot_flag: number;
  header: number;
  version: number;
  syssize: number;
  kernel_version: number;
  loadflags: number;
  code32_start: number;
  kernel_alignment?: number;
  relocatable_kernel?: number;
  xloadflags?: number;
  payload_offset?: number;
  payload_length?: number;
  pref_address?: bigint;
  init_size?: number;
  [field: string]: number | bigint | undefined;
}

export interface AcpiRsdp {
  signature: Uint8Array;
  checksum: number;
  oem_id: Uint8Array;
  revision: number;
  rsdt_address: number;
  length?: number;
  xsdt_address?: bigint;
  extended_checksum?: number;
  reserved?: Uint8Array;
}

export interface AcpiSdtHeader {
  signature: Uint8Array;
  length: number;
  revision: number;
  checksum: number;
  oem_id: Uint8Array;
  oem_table_id: Uint8Array;
  oem_revision: number;
  creator_id: Uint8Array;
  creator_revision: number;
}
