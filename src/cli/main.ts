import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../_internals/packageRoot.js";
import { EXIT, UsageError, type Io } from "./Io.js";

interface Command {
  summary: string;
  /** Loaded on use: a command's dependencies (fast-check, ajv, decompressors) cost startup time. */
  load(): Promise<(args: string[], io: Io) => Promise<number>>;
}

const commands: Record<string, Command> = {
  run: { summary: "run the conformance suite against loaders (default: reference + installed VMMs)", load: async () => (await import("./runCommand.js")).runCommand },
  "check-image": { summary: "check kernel images (ELF or bzImage) for valid PVH notes", load: async () => (await import("./checkImageCommand.js")).checkImageCommand },
  merge: { summary: "join the results.json files of a sharded run into one", load: async () => (await import("./mergeCommand.js")).mergeCommand },
  gate: { summary: "compare results.json with known-deviation files; exit 1 on anything new", load: async () => (await import("./gateCommand.js")).gateCommand },
  compare: { summary: "compare results.json of releases: fixed, regressed, still failing; exit 1 on a regression", load: async () => (await import("./compareCommand.js")).compareCommand },
  "update-expectations": { summary: "write a known-deviation file from a results.json", load: async () => (await import("./updateExpectationsCommand.js")).updateExpectationsCommand },
  requirements: { summary: "list the requirement catalogue", load: async () => (await import("./requirementsCommand.js")).requirementsCommand },
};

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    "usage: pvh-conformance <command> [options]",
    "",
    "A conformance suite for the x86/HVM direct boot ABI (PVH boot).",
    "",
    "commands:",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `pvh-conformance <command> --help` for a command's options.",
    "",
  ].join("\n");
}

/** Runs the command line; returns the exit code. Never throws for user input. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write(`pvh-conformance ${version()}\n`);
    return EXIT.ok;
  }
  const command = commands[name];
  if (!command) {
    io.stderr.write(`pvh-conformance: unknown command '${name}'\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return await (await command.load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr.write(`pvh-conformance ${name}: ${(err as Error).message}\nRun \`pvh-conformance ${name} --help\`.\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
