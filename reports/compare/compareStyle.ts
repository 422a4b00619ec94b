import { matrixStyle } from "../matrix/matrixStyle.js";

/**
 * The compare page's CSS: the matrix page's, plus the change marks. A change is
 * told by a word in the cell as well as by its frame, so colour only speeds reading.
 */
export const compareStyle =
  matrixStyle +
  String.raw`
table.inputs { border-collapse: collapse; margin: 4px 0; }
table.inputs th, table.inputs td { border: 1px solid var(--line); padding: 2px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
table.matrix thead tr.variants th { text-align: center; border-left: 2px solid var(--line); }
table.matrix td.first { border-left: 2px solid var(--line); }
.cell .chg { display: block; font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em; }
button.cell.ch-regressed { box-shadow: inset 0 0 0 3px #cf222e; }
button.cell.ch-fixed { box-shadow: inset 0 0 0 3px #1a7f37; }
button.cell.ch-unchecked { box-shadow: inset 0 0 0 3px #8c9bb0; }
button.cell.ch-new, button.cell.ch-gone { box-shadow: inset 0 0 0 3px #0969da; }
.k-absent { background: #fff; color: #8c959f; border-color: #e1e4e8; border-style: dotted; }
section.changes { margin: 16px 0; max-width: 1100px; }
section.changes h3 { font-size: 14px; margin: 10px 0 4px; }
section.changes ul { margin: 0; padding-left: 20px; }
section.changes button.go { font: inherit; border: none; background: none; color: #0969da; cursor: pointer; padding: 0; text-decoration: underline; text-align: left; }
article.rec.ch-regressed { border-left-color: #cf222e; }
article.rec.ch-fixed { border-left-color: #1a7f37; }
article.rec.ch-still-failing { border-left-color: #bf8700; }
ul.reasons { margin: 4px 0; padding-left: 20px; overflow-wrap: anywhere; }
`;
