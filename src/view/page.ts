/**
 * The viewer page: its HTML and CSS, served from memory (its script is `client.ts`).
 *
 * @module
 */

/** The page. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Miniscope viewer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="style.css">
</head>
<body>
<header>
  <h1 id="folder"></h1>
  <ul id="devices"></ul>
</header>
<section id="toolbar">
  <button id="play" type="button" title="Space">Play</button>
  <label>speed <select id="speed">
    <option value="1" selected>1x</option><option value="2">2x</option>
    <option value="4">4x</option><option value="10">10x</option>
  </select></label>
  <span class="readout">frame <b id="frame-index">-</b></span>
  <span class="readout">time <b id="frame-time">-</b></span>
  <span class="readout" id="frame-file"></span>
  <span class="readout" id="pixel-value"></span>
</section>
<section id="controls">
  <label>min <input id="contrast-min" type="number" min="0" max="255" value="0"></label>
  <label>max <input id="contrast-max" type="number" min="0" max="255" value="255"></label>
  <button id="contrast-auto" type="button" title="0.5 and 99.5 percentiles of the frame">Auto</button>
  <button id="contrast-full" type="button">0-255</button>
  <label>colours <select id="colormap">
    <option value="gray" selected>gray</option><option value="green">green</option>
    <option value="hot">hot</option><option value="viridis">viridis</option>
  </select></label>
  <label>zoom <select id="zoom">
    <option value="0.5">50%</option><option value="1" selected>100%</option>
    <option value="2">200%</option><option value="4">400%</option><option value="8">800%</option>
  </select></label>
  <label><input id="show-mean" type="checkbox"> mean</label>
  <label><input id="show-max" type="checkbox"> max</label>
  <label title="(F - F0) / F0, F0 the mean projection"><input id="show-dff" type="checkbox">
    ΔF/F</label>
  <label>± <input id="dff-range" type="number" min="0.01" step="0.05" value="0.5"></label>
  <progress id="projection-progress" hidden></progress>
  <label title="Drag on the frame; shift-drag draws an ellipse">region <select id="region-shape">
    <option value="rect" selected>rectangle</option><option value="ellipse">ellipse</option>
  </select></label>
</section>
<main>
  <figure><div id="frame-box"><canvas id="frame" width="1" height="1"></canvas>
    <canvas id="regions" width="1" height="1"></canvas></div><figcaption>frame</figcaption></figure>
  <figure id="camera-panel" hidden><canvas id="camera" width="1" height="1"></canvas>
    <figcaption><span id="camera-name"></span> <span id="camera-index"></span></figcaption></figure>
  <figure id="mean-panel" hidden><canvas id="mean" width="1" height="1"></canvas>
    <figcaption>mean</figcaption></figure>
  <figure id="max-panel" hidden><canvas id="max" width="1" height="1"></canvas>
    <figcaption>max</figcaption></figure>
</main>
<section id="traces" hidden><canvas id="trace-plot"></canvas><ul id="trace-list"></ul></section>
<footer>
  <div id="note-marks"></div>
  <input id="scrubber" type="range" min="0" max="0" value="0" step="1">
  <div id="intervals-box"><canvas id="intervals"></canvas><div id="drops"></div>
    <div id="note-lines"></div>
    <div id="cursor"></div></div>
  <section id="orientation-panel" hidden>
    <div id="orientation-box"><canvas id="orientation-plot"></canvas>
      <div id="orientation-cursor"></div></div>
    <div id="orientation-now"><canvas id="orientation-dial" width="72" height="72"></canvas>
      <span class="readout" id="orientation-readout"></span></div>
  </section>
  <p><span id="drop-count"></span> · keys: left/right one frame, shift x10, Home/End, space play</p>
  <p id="status" role="status"></p>
</footer>
<script type="module" src="app.js"></script>
</body>
</html>
`;

/** The page's style. */
export const PAGE_CSS = `
body { font: 14px system-ui, sans-serif; margin: 0 16px 16px; background: #f4f4f4; color: #222; }
header h1 { font-size: 16px; margin: 12px 0 4px; word-break: break-all; }
#devices { margin: 0 0 8px; padding-left: 20px; color: #444; }
#devices a { color: inherit; }
#devices a[aria-current] { font-weight: bold; text-decoration: none; }
#toolbar, #controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center;
  margin: 6px 0; }
.readout b { font-variant-numeric: tabular-nums; }
#pixel-value { color: #555; font-variant-numeric: tabular-nums; }
input[type=number] { width: 4em; }
main { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; overflow: auto;
  max-height: 75vh; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #555; }
canvas#frame, canvas#camera, canvas#mean, canvas#max { image-rendering: pixelated;
  background: #000; display: block; }
footer { margin-top: 8px; }
#scrubber { width: 100%; margin: 0; }
#intervals-box { position: relative; width: 100%; }
#intervals { display: block; width: 100%; height: 90px; cursor: pointer; }
#cursor { position: absolute; top: 0; bottom: 0; width: 1px; background: #e377c2;
  pointer-events: none; }
.drop { position: absolute; bottom: 0; width: 12px; height: 14px; margin-left: -6px; padding: 0;
  border: none; background: #d62728; clip-path: polygon(50% 0, 100% 100%, 0 100%);
  cursor: pointer; }
#status { color: #b00; }
#frame-box { position: relative; }
#note-marks { position: relative; height: 10px; }
.note-mark { position: absolute; top: 0; width: 10px; height: 10px; margin-left: -5px; padding: 0;
  border: none; background: #8c564b; clip-path: polygon(0 0, 100% 0, 50% 100%); cursor: pointer; }
.note-line { position: absolute; top: 0; bottom: 0; width: 3px; margin-left: -1px; padding: 0;
  border: none; background: #8c564b; opacity: 0.6; cursor: pointer; }
#frame { cursor: crosshair; }
#regions { position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; }
#trace-plot { display: block; cursor: pointer; }
#trace-list { margin: 4px 0; padding-left: 20px; }
#orientation-panel { margin-top: 4px; }
#orientation-box { position: relative; width: 100%; }
#orientation-now { display: flex; gap: 8px; align-items: center; margin-top: 4px; }
#orientation-plot { display: block; width: 100%; height: 80px; cursor: pointer; }
#orientation-cursor { position: absolute; top: 0; bottom: 0; width: 1px; background: #e377c2;
  pointer-events: none; }
#orientation-readout { font-variant-numeric: tabular-nums; }
`;
