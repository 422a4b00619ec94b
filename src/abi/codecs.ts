import { structCodec } from "./structCodec.js";
import type { AcpiRsdp, AcpiSdtHeader, MemmapEntry, ModlistEntry, SetupHeader, StartInfo } from "./types.js";

/** The codecs of the PVH structures and the bzImage setup header, from spec/layouts.json. */
export const codecs = {
  startInfo: () => structCodec<StartInfo>("hvm_start_info"),
  modlistEntry: () => structCodec<ModlistEntry>("hvm_modlist_entry"),
  memmapEntry: () => structCodec<MemmapEntry>("hvm_memmap_table_entry"),
  setupHeader: () => structCodec<SetupHeader>("linux_setup_header"),
  acpiRsdp: () => structCodec<AcpiRsdp>("acpi_rsdp"),
  acpiSdtHeader: () => structCodec<AcpiSdtHeader>("acpi_sdt_header"),
};
