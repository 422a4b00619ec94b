import { codecs } from "../abi/codecs.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function checksumByte(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (0x100 - sum) & 0xff;
}

/**
 * A minimal, valid ACPI table pair: an empty XSDT and a revision 2 RSDP pointing
 * at it, with correct checksums (ACPI 6.5, 5.2.5 and 5.2.6).
 */
export function acpiTables(xsdtAt: number): { rsdp: Uint8Array; xsdt: Uint8Array } {
  const h = codecs.acpiSdtHeader();
  const xsdt = h.encode({
    signature: ascii("XSDT"),
    length: h.size(),
    revision: 1,
    oem_id: ascii("PVHCNF"),
    oem_table_id: ascii("REFLOADR"),
    oem_revision: 1,
    creator_id: ascii("PVHC"),
    creator_revision: 1,
  });
  xsdt[h.field("checksum").offset] = checksumByte(xsdt);
  const r = codecs.acpiRsdp();
  const rsdp = r.encode(
    { signature: ascii("RSD PTR "), oem_id: ascii("PVHCNF"), revision: 2, rsdt_address: 0, length: r.size(2), xsdt_address: BigInt(xsdtAt) },
    2,
  );
  rsdp[r.field("checksum").offset] = checksumByte(rsdp.subarray(0, r.size(0)));
  rsdp[r.field("extended_checksum").offset] = checksumByte(rsdp);
  return { rsdp, xsdt };
}
