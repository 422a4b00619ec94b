import { afterEach, describe, expect, it } from "vitest";
import { caseCountFor } from "../../suites/_support/selection.js";

const saved = process.env["PVH_CASES"];
afterEach(() => {
  if (saved === undefined) delete process.env["PVH_CASES"];
  else process.env["PVH_CASES"] = saved;
});

describe("PVH_CASES (the suites' case count)", () => {
  it("a count that would run nothing, or is not a count, is refused", () => {
    for (const bad of ["0", "", "-1", "abc", "2.5"]) {
      process.env["PVH_CASES"] = bad;
      expect(() => caseCountFor("qemu"), JSON.stringify(bad)).toThrow(/PVH_CASES must be a positive integer/);
    }
  });

  it("a positive count applies to every adapter; unset, each adapter has its default", () => {
    process.env["PVH_CASES"] = "7";
    expect(caseCountFor("xen")).toBe(7);
    delete process.env["PVH_CASES"];
    expect(caseCountFor("reference")).toBe(200);
    expect(caseCountFor("xen")).toBe(20);
  });
});
