/**
 * The code placed at a generated kernel's entry point. For now a halt loop
 * (`hlt; jmp .-1`: F4 EB FD): it keeps the CPU at the entry's doorstep for a
 * debugger. This is the one piece the self-reporting probe replaces later.
 */
export function entryStub(): Uint8Array {
  return Uint8Array.of(0xf4, 0xeb, 0xfd);
}
