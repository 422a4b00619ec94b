import { z } from "zod";

/**
 * The zod definitions of the spec/ data files. They are the source: the JSON
 * Schemas in spec/schema/ are exported from them (npm run spec:export), and a
 * unit test fails when the committed files drift.
 */

const hex = z.string().regex(/^0x[0-9a-f]+$/, "a lowercase hex string such as 0x1f");

export const RequirementId = z
  .string()
  .regex(/^pvh(\.[a-z0-9]+(-[a-z0-9]+)*)+$/, "a lowercase dotted id such as pvh.cpu.tr");

/** How a document is cited: which anchor form names a place in it. */
export const AnchorKind = z.enum(["lines", "symbols", "sections", "headings"]);
export type AnchorKind = z.infer<typeof AnchorKind>;

/** The anchor forms, by kind: a line range of the pinned file, a name it defines, a numbered section, a heading's slug. */
export const ANCHOR_FORMS: Record<AnchorKind, RegExp> = {
  lines: /^L[1-9][0-9]*(-L[1-9][0-9]*)?$/,
  symbols: /^[A-Za-z_][A-Za-z0-9_]*$/,
  sections: /^[0-9]+(\.[0-9]+)*$/,
  headings: /^[a-z0-9]+(-[a-z0-9]+)*$/,
};

export const SourceDocument = z
  .object({
    title: z.string().min(3),
    where: z.string().min(2).describe("the repository (owner/name) the file was read from, or the publisher of a specification"),
    path: z.string().min(1).optional().describe("the file inside the repository"),
    revision: z
      .string()
      .regex(/^(commit:[0-9a-f]{7,40}|tag:[A-Za-z0-9._+-]+|edition:[^\s].*)$/, "commit:<id>, tag:<name> or edition:<name>")
      .describe("the pinned revision every anchor into this document refers to"),
    anchors: AnchorKind.describe("the anchor form a source into this document uses"),
    note: z.string().optional().describe("how the revision was read, or what else pins it"),
  })
  .strict();
export type SourceDocument = z.infer<typeof SourceDocument>;

export const Requirement = z
  .object({
    id: RequirementId,
    level: z.enum(["must", "should", "interop"]).describe("must/should: the normative text's words; interop: not in the text, but real guests rely on it"),
    side: z.enum(["loader", "kernel"]).describe("which side of the ABI the requirement binds"),
    status: z.enum(["active", "withdrawn"]).describe("withdrawn requirements keep their id forever"),
    statement: z.string().min(10).describe("one line, present tense"),
    source: z.string().regex(/^[a-z0-9._-]+#[A-Za-z0-9_.-]+$/, "document#anchor").describe("a key of the catalogue's documents, then #anchor in that document's anchor form"),
    unchecked: z.string().min(10).optional().describe("why no check judges it (the state it names cannot be observed); a requirement with no check says so here"),
    note: z.string().optional(),
  })
  .strict();
export type Requirement = z.infer<typeof Requirement>;

/**
 * What is wrong with the requirements' sources: each names a document of the table
 * and an anchor of that document's form (a line range ascending). Empty when right.
 */
export function sourceProblems(cat: { documents: Record<string, SourceDocument>; requirements: readonly Pick<Requirement, "id" | "source">[] }): string[] {
  const out: string[] = [];
  for (const r of cat.requirements) {
    const hash = r.source.indexOf("#");
    const doc = hash < 0 ? r.source : r.source.slice(0, hash);
    const anchor = hash < 0 ? "" : r.source.slice(hash + 1);
    const d = Object.hasOwn(cat.documents, doc) ? cat.documents[doc] : undefined;
    if (!d) {
      out.push(`${r.id}: source ${r.source} names no document of the table`);
      continue;
    }
    if (!ANCHOR_FORMS[d.anchors].test(anchor)) {
      out.push(`${r.id}: anchor "${anchor}" is not of the form ${d.anchors} that ${doc} is cited by`);
      continue;
    }
    if (d.anchors === "lines") {
      const [a, b] = anchor.split("-").map((x) => Number(x.slice(1)));
      if (b !== undefined && b < a!) out.push(`${r.id}: line range ${anchor} runs backwards`);
    }
  }
  return out;
}

export const RequirementCatalogue = z
  .object({
    $schema: z.string().optional(),
    documents: z.record(z.string().regex(/^[a-z0-9._-]+$/), SourceDocument).describe("every text a source points into, each pinned once"),
    requirements: z.array(Requirement).min(1),
  })
  .strict()
  .superRefine((cat, ctx) => {
    for (const message of sourceProblems(cat)) ctx.addIssue({ code: "custom", message, path: ["requirements"] });
  });
export type RequirementCatalogue = z.infer<typeof RequirementCatalogue>;

export const FieldType = z.enum(["u8", "u16", "u32", "u64", "bytes"]);
export type FieldType = z.infer<typeof FieldType>;

export const Field = z
  .object({
    name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
    offset: hex.describe("byte offset from the start of the structure (or of the file, with base)"),
    type: FieldType,
    length: z.number().int().positive().optional().describe("size in bytes of a bytes field"),
    since: z.number().int().nonnegative().optional().describe("first version of the structure that has the field"),
    const: hex.optional().describe("the only valid value"),
    reserved: z.boolean().optional().describe("must be zero"),
    role: z.enum(["paddr"]).optional().describe("paddr: a physical address, 0 meaning absent"),
    enum: z.string().optional().describe("name of an enum in this file"),
    flags: z.string().optional().describe("name of a bit-flag enum in this file"),
    doc: z.string().optional(),
  })
  .strict()
  .refine((f) => (f.type === "bytes") === (f.length !== undefined), "bytes fields, and only they, give a length");
export type Field = z.infer<typeof Field>;

export const Structure = z
  .object({
    name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
    source: z.string(),
    endian: z.literal("little"),
    base: hex.optional().describe("file offset of the first field, when offsets are file offsets"),
    versionField: z.string().optional(),
    summary: z.string(),
    fields: z.array(Field).min(1),
  })
  .strict();
export type Structure = z.infer<typeof Structure>;

export const Layouts = z
  .object({
    $schema: z.string().optional(),
    enums: z.record(
      z.string(),
      z.union([
        z.object({ source: z.string(), values: z.record(z.string().regex(/^\d+$/), z.string()) }).strict(),
        z.object({ source: z.string(), bits: z.record(z.string().regex(/^\d+$/), z.string()) }).strict(),
      ]),
    ),
    structures: z.array(Structure).min(1),
  })
  .strict();
export type Layouts = z.infer<typeof Layouts>;

export const NoteDescriptor = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("numeric"), sizes: z.array(z.number().int().positive()).optional() }).strict(),
  z.object({ kind: z.literal("string") }).strict(),
  z.object({ kind: z.literal("bitmap") }).strict(),
  z
    .object({
      kind: z.literal("structured"),
      layout: z.enum(["u32-list", "numeric-pairs"]),
      fields: z.array(z.string()).min(1),
      defaults: z.record(z.string(), hex).optional(),
    })
    .strict(),
]);
export type NoteDescriptor = z.infer<typeof NoteDescriptor>;

export const NoteKind = z
  .object({
    type: z.number().int().nonnegative(),
    name: z.string().regex(/^[A-Z0-9_]+$/),
    macro: z.string(),
    descriptor: NoteDescriptor,
    summary: z.string(),
  })
  .strict();
export type NoteKind = z.infer<typeof NoteKind>;

export const NoteCatalogue = z
  .object({
    $schema: z.string().optional(),
    owner: z.literal("Xen"),
    source: z.string(),
    notes: z.array(NoteKind).min(1),
  })
  .strict();
export type NoteCatalogue = z.infer<typeof NoteCatalogue>;

/** The data files of spec/, each with the schema that validates it. */
export const specFiles = {
  requirements: RequirementCatalogue,
  layouts: Layouts,
  notes: NoteCatalogue,
} as const;
export type SpecFileName = keyof typeof specFiles;
