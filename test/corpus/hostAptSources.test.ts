import { describe, expect, it } from "vitest";
import {
  AptSourcesError,
  debianArchives,
  parseDeb822Sources,
  parseOneLineSources,
  readHostAptSources,
  sourcesListFor,
} from "../../src/corpus/_internals/hostAptSources.js";
import { skipUnlessTool } from "../_support/requireTool.js";

const KEY = "/usr/share/keyrings/debian-archive-keyring.gpg";

describe("the host's apt sources", () => {
  it("reads deb822 stanzas: several URIs and suites, comments, a disabled stanza, deb-src skipped", () => {
    const text = [
      "Types: deb deb-src",
      "# a comment",
      "URIs: http://mirror.example.test/debian",
      "Suites: bookworm bookworm-updates",
      "Components: main contrib",
      "Signed-By: /etc/keys/a.gpg",
      "",
      "Types: deb",
      "URIs: http://mirror.example.test/debian-security",
      "Suites: bookworm-security",
      "Components: main",
      "",
      "Types: deb",
      "Enabled: no",
      "URIs: http://off.example.test/debian",
      "Suites: bookworm",
      "Components: main",
      "",
      "Types: deb-src",
      "URIs: http://src.example.test/debian",
      "Suites: bookworm",
      "Components: main",
    ].join("\n");
    expect(parseDeb822Sources(text)).toEqual([
      { uri: "http://mirror.example.test/debian", suites: ["bookworm", "bookworm-updates"], components: ["main", "contrib"], signedBy: "/etc/keys/a.gpg" },
      { uri: "http://mirror.example.test/debian-security", suites: ["bookworm-security"], components: ["main"], signedBy: null },
    ]);
  });

  it("reads one-line sources with options and comments", () => {
    const text = "# deb http://x.test/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://proxy.test:3142/debian bookworm main non-free # tail\ndeb-src http://y.test/debian bookworm main\n";
    expect(parseOneLineSources(text)).toEqual([{ uri: "http://proxy.test:3142/debian", suites: ["bookworm"], components: ["main", "non-free"], signedBy: "/k.gpg" }]);
  });

  it("takes the archive and the security archive that serve the host's release, mirror and all", () => {
    const sources = [
      { uri: "https://packages.other.test/apt", suites: ["nodistro"], components: ["main"], signedBy: null },
      { uri: "http://mirror.example.test/debian", suites: ["bookworm"], components: ["main"], signedBy: null },
      { uri: "http://mirror.example.test/debian-security", suites: ["bookworm-security"], components: ["main"], signedBy: "/s.gpg" },
    ];
    const a = debianArchives(sources, "bookworm");
    expect(a.archive.uri).toBe("http://mirror.example.test/debian");
    expect(a.security?.uri).toBe("http://mirror.example.test/debian-security");
    expect(sourcesListFor("trixie", a, KEY)).toBe(
      [
        `deb [signed-by=${KEY}] http://mirror.example.test/debian trixie main`,
        `deb [signed-by=${KEY}] http://mirror.example.test/debian trixie-updates main`,
        "deb [signed-by=/s.gpg] http://mirror.example.test/debian-security trixie-security main",
        "",
      ].join("\n"),
    );
    // sid and a backports suite have no -updates or -security suite of their own.
    expect(sourcesListFor("sid", a, KEY)).toBe(`deb [signed-by=${KEY}] http://mirror.example.test/debian sid main\n`);
    expect(sourcesListFor("bookworm-backports", a, KEY)).toBe(`deb [signed-by=${KEY}] http://mirror.example.test/debian bookworm-backports main\n`);
  });

  it("says so when no source serves the host's release", () => {
    expect(() => debianArchives([{ uri: "http://x.test/debian", suites: ["trixie"], components: ["main"], signedBy: null }], "bookworm")).toThrow(AptSourcesError);
  });

  it("finds this host's Debian archive", (ctx) => {
    const why = skipUnlessTool("apt-config", ["dump"], "apt");
    if (why) return ctx.skip(why);
    const sources = readHostAptSources();
    expect(sources.some((s) => s.components.includes("main"))).toBe(true);
  });
});
