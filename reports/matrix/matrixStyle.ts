/**
 * The page's CSS. Every verdict has a text label as well as a colour, so the
 * colours only speed reading; expected deviations are striped so they stay
 * apart from new ones in greyscale too.
 */
export const matrixStyle = String.raw`
:root { --panel: min(680px, 48vw); --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --head: #f6f8fa; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header.top { padding: 12px 16px; border-bottom: 1px solid var(--line); background: var(--head); }
h1 { font-size: 20px; margin: 0 0 6px; }
h2 { font-size: 16px; margin: 0 0 6px; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.verdict { display: inline-block; padding: 3px 10px; border-radius: 4px; font-weight: 600; margin: 4px 0 8px; }
.verdict.ok { background: #dcf5e3; color: #14532d; border: 1px solid #2da44e; }
.verdict.bad { background: #ffd8d6; color: #82071e; border: 1px solid #cf222e; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dl.run dt { color: var(--muted); }
dl.run dd { margin: 0; overflow-wrap: anywhere; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: flex-start; padding: 8px 16px; border-bottom: 1px solid var(--line); }
.controls fieldset { border: 1px solid var(--line); border-radius: 4px; padding: 4px 8px; margin: 0; }
.controls legend { color: var(--muted); font-size: 12px; }
ul.legend { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 8px; }
ul.legend li { display: flex; gap: 4px; align-items: center; font-size: 12px; }
ul.legend .swatch { min-width: 7em; text-align: center; padding: 1px 6px; border-radius: 3px; font-weight: 600; }
/* The page itself scrolls both ways, so the sticky header row and first column hold to the viewport. */
main { padding: 8px 16px 24px; }
/* The panel sits beside the matrix, not over it: every cell stays clickable while it is open. */
body.detail-open { margin-right: var(--panel); }
table.matrix { border-collapse: separate; border-spacing: 0; }
table.matrix th, table.matrix td { border-bottom: 1px solid var(--line); padding: 3px 4px; vertical-align: top; }
table.matrix thead th { position: sticky; top: 0; background: var(--head); z-index: 2; text-align: left; font-weight: 600; min-width: 9.5em; }
table.matrix thead th .sub { display: block; font-weight: 400; color: var(--muted); font-size: 11px; max-width: 14em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
table.matrix th.req { position: sticky; left: 0; background: var(--bg); z-index: 1; text-align: left; font-weight: 400; min-width: 22em; max-width: 30em; }
table.matrix thead th.corner { left: 0; z-index: 3; }
table.matrix tr.area th { background: #eaeef2; text-align: left; font-size: 13px; padding-top: 8px; position: sticky; left: 0; }
tr.level-interop th.req { border-left: 4px solid #8250df; }
tr.level-should th.req { border-left: 4px solid #0e7c86; }
tr.level-must th.req { border-left: 4px solid #0a3069; }
.rid { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; font-weight: 600; }
.stmt { display: block; color: var(--muted); font-size: 12px; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 0 5px; border-radius: 8px; margin-left: 4px; text-transform: uppercase; letter-spacing: 0.03em; }
.badge.must { background: #0a3069; color: #fff; }
.badge.should { background: #0e7c86; color: #fff; }
.badge.interop { background: #fff; color: #6639ba; border: 1px solid #8250df; }
.badge.unknown { background: #eee; color: #444; }
button.cell { display: block; width: 100%; min-height: 2.6em; text-align: left; font: inherit; cursor: pointer; border: 1px solid; border-radius: 4px; padding: 2px 6px; }
button.cell:focus-visible { outline: 3px solid #0969da; outline-offset: 1px; }
button.cell.sel { outline: 3px solid #0969da; }
.cell .lbl { display: block; font-weight: 700; white-space: nowrap; }
.cell .rest { display: block; font-size: 11px; }
.k-pass { background: #dcf5e3; color: #14532d; border-color: #2da44e; }
.k-na { background: #f2f3f5; color: #59636e; border-color: #c4c9cf; border-style: dashed; }
.k-skip { background: #e6ecf5; color: #27354a; border-color: #8c9bb0; }
.k-xbad { background: repeating-linear-gradient(135deg, #fff4d6 0 6px, #fbe7b0 6px 12px); color: #5c4000; border-color: #bf8700; }
.k-upass { background: #ece4ff; color: #3d1d8f; border-color: #8250df; }
.k-error { background: #ffe7d1; color: #6e2c00; border-color: #e16f24; }
.k-fail { background: #ffd8d6; color: #82071e; border-color: #cf222e; }
.k-timeout { background: #b3124b; color: #fff; border-color: #6d0a2d; }
.k-crash { background: #5c0011; color: #fff; border-color: #2b0008; }
.k-none { background: #fff; color: #8c959f; border-color: #e1e4e8; }
aside.detail { position: fixed; top: 0; right: 0; bottom: 0; width: var(--panel); background: #fff; border-left: 2px solid var(--line); box-shadow: -4px 0 16px rgba(0,0,0,.12); overflow: auto; padding: 12px 16px; z-index: 10; }
aside.detail .close { float: right; font: inherit; padding: 2px 10px; cursor: pointer; }
aside.detail p { margin: 4px 0; }
article.rec { border: 1px solid var(--line); border-left-width: 6px; border-radius: 4px; padding: 6px 8px; margin: 8px 0; }
article.rec.c-u { border-left-color: #cf222e; }
article.rec.c-x { border-left-color: #bf8700; }
article.rec.c-p { border-left-color: #8250df; }
article.rec .st { font-weight: 700; margin-left: 6px; }
article.rec .msg { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; }
article.rec dl { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; margin: 4px 0; }
article.rec dt { color: var(--muted); }
article.rec dd { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
article.rec code.cmd { display: block; background: #f6f8fa; border: 1px solid var(--line); padding: 3px 6px; white-space: pre-wrap; overflow-wrap: anywhere; user-select: all; }
.more { color: var(--muted); font-style: italic; }
section.differential { margin-top: 24px; max-width: 1100px; }
section.differential h3 { font-size: 14px; margin: 12px 0 4px; }
table.diffs { border-collapse: collapse; }
table.diffs th, table.diffs td { border: 1px solid var(--line); padding: 2px 8px; text-align: left; }
table.diffs td.n { text-align: right; font-variant-numeric: tabular-nums; }
p.unexplained { color: #82071e; margin: 6px 0 2px; }
ul.unexplained { margin: 0; padding-left: 20px; overflow-wrap: anywhere; }
`;
