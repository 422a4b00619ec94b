export type AllureCliFailure = "missing" | "input" | "failed" | "timeout";

/** Why the Allure report CLI could not turn results into HTML; `output` is its stderr and stdout, shortened. */
export class AllureCliError extends Error {
  override readonly name = "AllureCliError";
  constructor(
    readonly kind: AllureCliFailure,
    message: string,
    readonly output = "",
  ) {
    super(output ? `${message}\n${output}` : message);
  }
}
