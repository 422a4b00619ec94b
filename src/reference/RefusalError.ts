export type RefusalCode = "not-elf" | "invalid-image" | "does-not-fit" | "refused";

/** The reference loader's typed refusal of a case; becomes an Observation with outcome "rejected". */
export class RefusalError extends Error {
  override name = "RefusalError";
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
