import { runCampaign } from "../../fuzz/fuzzer.js";
// A campaign stuck on an endless input (time limit 10 min), for the kill test in fuzzer.test.ts.
await runCampaign({ target: "toy-hang", seed: 1, maxExecs: 5, timeoutMs: 600_000, targetSeeds: false, seeds: [Uint8Array.of(0x48)] });
