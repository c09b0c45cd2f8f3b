/**
 * The drill page's stylesheet. The page is one screen that does not scroll: a header bar with the
 * step controls, the diagram pane (left) beside the narration, question and answer (right), and the
 * timeline at the bottom. Type grows with the viewport (17 px at 1280 wide, 26 px at 1920); diagram
 * text is 17 px at 1280 (20 px in large type), and to fit a big cluster the page shrinks it, never
 * below 14 px, so a projected page reads from the back of a room.
 */
export const DRILL_PAGE_CSS = `
:root { color-scheme: light; --up: #2e7d32; --down: #c62828; --paused: #b26a00; --idle: #757575; --ink: #1a1a1a; --muted: #555; --line: #c9c9c9; --accent: #1559b3; --fault: #d81b60; }
* { box-sizing: border-box; }
html, body { height: 100%; }
body { margin: 0; overflow: hidden; display: flex; flex-direction: column; font: max(17px, 1.33vw)/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fafafa; }
body.large { font-size: max(23px, 1.8vw); }
button { font: inherit; font-size: 0.9em; padding: 4px 12px; border: 1px solid #888; border-radius: 6px; background: #fff; cursor: pointer; color: var(--ink); }
button:hover:not(:disabled) { background: #eef3fb; }
button:disabled { opacity: 0.45; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.primary:hover:not(:disabled) { background: #0f4a99; }
button[aria-pressed="true"] { background: #263238; color: #fff; }
button:focus-visible, input:focus-visible, .term:focus-visible { outline: 3px solid var(--accent); outline-offset: 1px; }
.muted { color: var(--muted); }
/* Header */
.topbar { flex: none; display: grid; grid-template-columns: minmax(0, 1fr) auto; grid-template-areas: "title controls" "counts controls"; gap: 2px 16px; align-items: center; padding: 6px 14px; background: #fff; border-bottom: 1px solid var(--line); }
.title { grid-area: title; min-width: 0; display: flex; align-items: baseline; gap: 12px; }
.title h1 { font-size: 1.05em; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.sub { color: var(--muted); font-size: 0.85em; white-space: nowrap; }
#where { color: var(--ink); font-weight: 600; }
.counts { grid-area: counts; display: flex; flex-wrap: wrap; gap: 2px 16px; font-size: max(14px, 0.9em); font-variant-numeric: tabular-nums; }
.count.bad b { color: var(--down); } .count.warn b { color: var(--paused); }
.controls { grid-area: controls; display: flex; gap: 6px; }
/* Main: diagram pane beside the text */
main { flex: 1 1 0; min-height: 0; display: grid; grid-template-columns: minmax(0, 1.6fr) minmax(0, 1fr); min-height: 0; }
body.large main { grid-template-columns: minmax(0, 1.4fr) minmax(0, 1fr); }
.stage { position: relative; min-height: 0; border-right: 1px solid var(--line); }
.diagram { position: absolute; inset: 0; overflow: hidden; padding: 8px 12px; font-size: max(17px, 1.33vw); }
body.large .diagram { font-size: max(20px, 1.56vw); }
.text { min-height: 0; overflow: hidden; padding: 8px 16px 12px; background: #fff; display: flex; flex-direction: column; gap: 8px; }
.narration { flex: 0 1 auto; min-height: 3em; overflow-y: auto; }
.question { flex: none; }
.answer { flex: 0 1 auto; min-height: 3em; overflow-y: auto; }
.narration h2 { font-size: 1.1em; margin: 0 0 4px; }
.narration p, .question p, .answer p { margin: 0 0 6px; }
.question { border: 2px solid #7da2d6; border-radius: 8px; padding: 6px 10px; background: #f3f7fd; }
.question h3 { font-size: 0.95em; margin: 0 0 2px; color: var(--accent); }
.question ul, .question ol { margin: 4px 0; padding-left: 1.5em; }
.choices li { margin: 2px 0; }
.choices li.right { font-weight: 700; color: var(--up); }
.choices li.right::after { content: "  ✔"; }
.answer { border: 2px solid #9fcf9f; border-radius: 8px; padding: 6px 10px; background: #f1f8f1; }
.answer[hidden] { display: none; }
.answer-line { font-weight: 600; }
.error { color: var(--down); font-weight: 700; }
.term { text-decoration: underline dotted 2px; text-underline-offset: 3px; cursor: help; }
#tip { position: fixed; z-index: 10; max-width: 32em; background: #263238; color: #fff; font-size: max(16px, 1.25vw); line-height: 1.35; padding: 8px 10px; border-radius: 6px; box-shadow: 0 4px 14px rgba(0,0,0,0.25); pointer-events: none; }
#tip[hidden] { display: none; }
/* Diagram */
.diagram-body { display: flex; flex-direction: column; gap: 4px; min-height: 100%; }
.coords { display: flex; flex-wrap: wrap; gap: 4px 10px; }
.coord { border: 1px dashed #999; border-radius: 6px; padding: 1px 8px; background: #fff; }
.coord.down { border-color: var(--down); color: var(--down); }
.cut-banner { color: #fff; background: var(--fault); border-radius: 6px; padding: 2px 8px; font-weight: 600; align-self: flex-start; }
.clients { display: flex; flex-wrap: wrap; justify-content: center; gap: 0 14px; }
.client-cell { display: flex; flex-direction: column; align-items: center; min-width: 0; max-width: 16em; }
.servers { display: flex; gap: 8px; align-items: stretch; }
.servers > .server { flex: 1 1 0; min-width: 0; }
.box { border: 2px solid #777; border-radius: 8px; background: #fff; padding: 3px 7px 5px; min-width: 0; }
.box.up { border-color: var(--up); }
.box.down { border-color: var(--down); background: #fdecec; border-style: dashed; }
.box.down .strip { opacity: 0.6; }
.box.paused { border-color: var(--paused); background: #fff5e0; }
.box.not-started { border-color: var(--idle); background: #f1f1f1; color: var(--muted); }
.box-head { display: flex; justify-content: space-between; gap: 8px; align-items: baseline; }
.box-head b { font-size: 1.1em; }
.status { white-space: nowrap; }
.up > .box-head .status { color: var(--up); } .down > .box-head .status { color: var(--down); font-weight: 700; } .paused > .box-head .status { color: var(--paused); font-weight: 700; }
.badges { display: flex; flex-wrap: wrap; gap: 2px 6px; margin: 1px 0 2px; }
.badge { background: #e3ecf9; color: #0d3c7a; border-radius: 10px; padding: 0 8px; }
.cut-note { color: var(--fault); font-weight: 600; }
.detail { color: var(--muted); }
.client .detail { text-align: center; }
.strip { border-top: 1px solid #e2e2e2; padding: 2px 0; }
.strip-head { display: flex; flex-wrap: wrap; gap: 0 8px; align-items: baseline; }
.strip.lead .role { color: var(--accent); font-weight: 700; }
.role { color: var(--muted); }
.owner { color: #4a148c; font-weight: 600; }
.fields { display: flex; flex-wrap: wrap; gap: 0 10px; font-variant-numeric: tabular-nums; }
.field.warn, .field.warn b { color: var(--down); font-weight: 700; }
.logbar { position: relative; height: 10px; background: #eceff1; border-radius: 3px; margin: 2px 0; overflow: hidden; }
.bar-fill { position: absolute; left: 0; top: 0; bottom: 0; background: #90a4ae; }
.strip.lead .bar-fill { background: #5c8fd6; }
.bar-mark { position: absolute; top: 0; bottom: 0; width: 3px; margin-left: -1px; background: #2e7d32; }
.flow { display: flex; align-items: center; gap: 6px; min-height: 40px; }
.arrow line { stroke: #607d8b; stroke-width: 3; }
.arrow path { fill: #607d8b; }
.arrow.busy line { stroke: var(--accent); } .arrow.busy path { fill: var(--accent); }
.arrow.cut line { stroke: var(--fault); stroke-dasharray: 5 4; } .arrow.cut path { fill: var(--fault); }
.arrow.idle line { stroke: #b0bec5; } .arrow.idle path { fill: #b0bec5; }
.flow-label { color: var(--muted); }
.flow.cut .flow-label { color: var(--fault); font-weight: 700; }
.strips { border-collapse: collapse; width: 100%; font-size: max(14px, 0.9em); font-variant-numeric: tabular-nums; }
.strips th, .strips td { text-align: left; padding: 0 4px 0 0; border-top: 1px solid #e2e2e2; white-space: nowrap; }
.strips thead th { font-weight: 400; color: var(--muted); border-top: none; }
.strips tr.lead th { color: var(--accent); }
.strips td.warn { color: var(--down); font-weight: 700; }
.diagram.tight .client .detail { display: none; }
.diagram.tight .flow { min-height: 30px; }
.diagram.tight .arrow { height: 30px; }
/* Inspector: over the diagram pane */
.inspector { position: absolute; inset: 0; overflow-y: auto; background: #fff; padding: 8px 14px; z-index: 2; }
.inspector[hidden] { display: none; }
.inspector-head { display: flex; justify-content: space-between; align-items: center; }
.inspector-head h2 { font-size: 1.05em; margin: 0; }
.inspect-form { display: flex; gap: 8px; margin: 6px 0; }
.inspect-form input { flex: 1; font: inherit; padding: 3px 8px; }
.msg-list { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; margin: 4px 0; }
.chip { font-size: 0.85em; padding: 1px 8px; border-radius: 12px; }
.chip.lost { border-color: var(--down); color: var(--down); }
.chip.dup { border-color: var(--paused); color: var(--paused); }
.verdict-line b { text-transform: uppercase; }
.verdict-lost b, .verdict-failed b { color: var(--down); } .verdict-duplicated b, .verdict-unknown b { color: var(--paused); } .verdict-delivered b { color: var(--up); }
.causes { color: var(--fault); font-weight: 600; }
.cause { font-size: 1em; padding: 0 6px; border-color: var(--fault); color: var(--fault); font-weight: 600; }
.band.flash { outline: 3px solid var(--accent); z-index: 1; }
.journey { padding-left: 1.4em; margin: 4px 0; }
.journey li { margin: 2px 0; }
.journey .when { font-variant-numeric: tabular-nums; color: var(--muted); }
.journey .good { color: #1b5e20; } .journey .bad { color: var(--down); font-weight: 600; } .journey .warn { color: var(--paused); }
/* Timeline */
.timeline { flex: none; overflow: hidden; background: #fff; border-top: 1px solid var(--line); padding: 4px 16px 2px; font-size: max(14px, 1.1vw); }
body.large .timeline { font-size: max(16px, 1.25vw); }
.tl-track { position: relative; background: #f4f6f8; border-radius: 4px; }
.band { position: absolute; height: 1.5em; background: rgba(216, 27, 96, 0.22); border-left: 3px solid var(--fault); color: #880e4f; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding: 0 4px; line-height: 1.5em; }
.band.ongoing { border-right: 2px dashed var(--fault); }
.tl-later { position: absolute; top: 0; bottom: 0; background: repeating-linear-gradient(135deg, #eceff1 0 8px, #e0e4e7 8px 16px); color: var(--muted); text-align: center; overflow: hidden; line-height: 1.5em; white-space: nowrap; }
.tl-now { position: absolute; top: -2px; bottom: -2px; width: 3px; background: var(--accent); }
.tl-steps { position: relative; height: 2.2em; margin-top: 2px; }
.tl-step { position: absolute; top: 1px; padding: 0; font-size: 1em; text-align: center; }
.tl-step.current { background: var(--accent); color: #fff; border-color: var(--accent); }
.tl-axis { position: relative; height: 1.7em; border-top: 1px solid #999; }
.tick { position: absolute; top: 0; height: 5px; border-left: 1px solid #777; }
.tick span { position: absolute; top: 3px; transform: translateX(-50%); white-space: nowrap; color: var(--muted); }
.tick:first-child span { transform: none; }
@media print { body { overflow: visible; display: block; } .controls, .timeline, #tip { display: none; } .stage { height: 60vh; } }
`;
