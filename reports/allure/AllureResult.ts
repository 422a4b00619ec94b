/**
 * The allure-results file format (<uuid>-result.json), as far as this project writes it.
 * Declared here rather than imported from allure-js-commons, whose Status and Stage are
 * runtime enums: the writer ships in dist/ and must not need the Allure packages at run time.
 */
export type AllureStatus = "passed" | "failed" | "broken" | "skipped";

export interface AllureLabel {
  name: string;
  value: string;
}

export interface AllureLink {
  name?: string;
  url: string;
  type?: "link" | "issue" | "tms";
}

export interface AllureParameter {
  name: string;
  value: string;
  /** Left out of the history id, so counts can change between runs without making a new test. */
  excluded?: boolean;
}

export interface AllureAttachment {
  name: string;
  /** A file name in the same results folder. */
  source: string;
  type: string;
}

export interface AllureStatusDetails {
  message?: string;
  trace?: string;
  /** Allure's "known issue" flag: set on expected deviations. */
  known?: boolean;
}

export interface AllureStep {
  name: string;
  status: AllureStatus;
  statusDetails: AllureStatusDetails;
  stage: "finished";
  start: number;
  stop: number;
  steps: AllureStep[];
  attachments: AllureAttachment[];
  parameters: AllureParameter[];
}

export interface AllureResult {
  uuid: string;
  historyId: string;
  testCaseId: string;
  fullName: string;
  name: string;
  titlePath: string[];
  status: AllureStatus;
  statusDetails: AllureStatusDetails;
  stage: "finished";
  description: string;
  start: number;
  stop: number;
  labels: AllureLabel[];
  links: AllureLink[];
  parameters: AllureParameter[];
  attachments: AllureAttachment[];
  steps: AllureStep[];
}
