/**
 * The catalog's one stylesheet, served from /ui/assets/ui.css so the
 * Content-Security-Policy can forbid inline styles and scripts. Colours keep
 * a contrast of at least 4.5:1 on their backgrounds (WCAG AA); focus is
 * always visible.
 */
export const STYLESHEET = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #4d5560; --line: #c9ced6; --bg: #ffffff; --panel: #f4f6f8; --accent: #0b57d0; --bad: #a4161a; --good: #1e6b34; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; z-index: 1; }
header.top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; padding: .75rem 1.5rem; background: #102a43; color: #fff; }
header.top a { color: #fff; }
header.top nav ul { display: flex; gap: 1.25rem; list-style: none; margin: 0; padding: 0; }
header.top .who { display: flex; gap: .75rem; align-items: center; font-size: .9rem; }
header.top button { background: transparent; color: #fff; border: 1px solid #fff; }
main { padding: 1.5rem; max-width: 72rem; margin: 0 auto; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: break-word; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
form.inline { display: inline; }
.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; background: var(--panel); padding: 1rem; border-radius: 6px; }
.filters label, .stack label { display: flex; flex-direction: column; font-weight: 600; font-size: .9rem; gap: .25rem; }
.stack { display: flex; flex-direction: column; gap: .75rem; max-width: 36rem; }
input, select, textarea { font: inherit; font-weight: 400; padding: .4rem .5rem; border: 1px solid #6b7280; border-radius: 4px; background: #fff; color: var(--ink); }
textarea { min-height: 5rem; }
button { font: inherit; padding: .4rem .9rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
.pager { display: flex; gap: 1.5rem; margin: 1rem 0; }
.tag { display: inline-block; background: #e3ecfa; color: #0a3a8c; border-radius: 999px; padding: 0 .6rem; margin: 0 .25rem .25rem 0; font-size: .85rem; }
.muted { color: var(--muted); }
.notice { padding: .75rem 1rem; border-radius: 6px; margin: 1rem 0; border-left: 4px solid; }
.notice.refused { background: #fdecea; border-color: var(--bad); }
.notice.ok { background: #e7f4ea; border-color: var(--good); }
.notice.info { background: var(--panel); border-color: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1.5rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1.5rem; }
figure { margin: 1rem 0; }
figcaption { font-size: .9rem; color: var(--muted); }
svg.chart { width: 100%; max-width: 48rem; height: auto; background: #fff; border: 1px solid var(--line); }
svg.chart .bar { fill: #2f6fd6; }
svg.chart .line { fill: none; stroke: #2f6fd6; stroke-width: 2; }
svg.chart .dot { fill: #0b3d91; }
svg.chart .axis { stroke: #6b7280; stroke-width: 1; }
svg.chart text { font-size: 11px; fill: #374151; }
ol.timeline { list-style: none; padding: 0; border-left: 3px solid var(--line); margin-left: .5rem; }
ol.timeline li { position: relative; padding: 0 0 1rem 1rem; }
ol.timeline li::before { content: ""; position: absolute; left: -.55rem; top: .4rem; width: .8rem; height: .8rem; border-radius: 50%; background: var(--accent); }
ol.timeline li.deleted::before { background: var(--bad); }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem; }
pre { background: var(--panel); padding: .75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
.secret { font-size: 1.1rem; background: #fff7d6; padding: .5rem; border: 1px dashed #8a6d00; }
`;

/** The tab icon, so browsers do not ask the API for /favicon.ico. */
export const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#102a43"/><path d="M4 4h8v2H6v2h5v2H6v2H4z" fill="#fff"/></svg>`;
