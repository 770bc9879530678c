// The page of `cnnkit serve`: draw or upload, then show what the model computes.
// Plain JavaScript, no library: everything the page shows comes from the JSON API
// (see GET /api). The canvas keeps its strokes as point lists, so undo redraws the
// others, and the image sent is always exactly what is on the canvas.
"use strict";

const PEN_WIDTH = 20;          // px on the 280-px pad: MNIST's stroke is ~1/10 of the digit
const PREDICT_EVERY_MS = 120;  // while drawing: at most one prediction in flight, this often
const MAP_PIXELS = 56;         // display size of one activation map (longest side)

const state = {
  model: null,          // GET /api/model
  modelName: null,
  mode: "digit",        // "digit" | "number"
  strokes: [],          // [[{x, y}, ...], ...]
  drawing: null,        // the stroke being drawn
  upload: null,         // {file, image (decoded <img>) | null} when a file is shown
  chosenClass: null,    // the class Grad-CAM explains (null: the predicted one)
  inFlight: false,
  again: false,         // false | "quick" | "full": what to ask once the answer is in
  lastPredict: 0,
};

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const padContext = pad.getContext("2d");

// ---------------------------------------------------------------- API

async function api(path, form) {
  const name = state.modelName ? `?model=${encodeURIComponent(state.modelName)}` : "";
  const response = await fetch(`/api/${path}${name}`, form ? { method: "POST", body: form } : {});
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

// ---------------------------------------------------------------- model

async function loadModels() {
  const { models, default: first } = await api("models");
  const select = $("model-select");
  select.replaceChildren(...models.map((name) => new Option(name, name)));
  select.value = first;
  $("model-choice").hidden = models.length < 2;
  select.addEventListener("change", () => chooseModel(select.value));
  await chooseModel(first);
}

async function chooseModel(name) {
  state.modelName = name;
  state.model = await api("model");
  const m = state.model;
  $("model-info").textContent =
    `${m.name}: input ${JSON.stringify(m.input_shape)}, ${m.classes.length} classes, ${m.layers.length} layers`;
  const numbers = m.kind === "image" && m.input_shape[2] === 1 && m.classes.length === 10;
  $("mode-number").hidden = !numbers;
  if (!numbers) setMode("digit");
  $("slice-control").hidden = m.kind !== "volume";
  $("draw-hint").textContent = {
    "signal": "Draw a curve from left to right: the signal the model reads.",
    "volume": "Draw a picture (repeated through the depth) or upload a .npy volume.",
    "other": "This model's input cannot be drawn; its layers are listed above.",
  }[m.kind] || (numbers ? "Draw a digit with the mouse, a finger or a pen."
                        : "Draw, or upload a photo.");
  clearPad();
  renderFilters(await api("filters"));
}

// ---------------------------------------------------------------- drawing

function padPoint(event) {
  const rect = pad.getBoundingClientRect();
  return {
    x: (event.clientX - rect.left) * (pad.width / rect.width),
    y: (event.clientY - rect.top) * (pad.height / rect.height),
  };
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  if (state.upload) { state.upload = null; state.strokes = []; }
  state.drawing = [padPoint(event)];
  state.strokes.push(state.drawing);
  redraw();
});

pad.addEventListener("pointermove", (event) => {
  if (!state.drawing) return;
  // Coalesced events keep fast pen strokes smooth.
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const e of events.length ? events : [event]) state.drawing.push(padPoint(e));
  redraw();
  if (state.mode === "digit" && Date.now() - state.lastPredict > PREDICT_EVERY_MS) {
    refresh(false);
  }
});

function endStroke() {
  if (!state.drawing) return;
  state.drawing = null;
  refresh(true);
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

function redraw() {
  padContext.fillStyle = "#fff";
  padContext.fillRect(0, 0, pad.width, pad.height);
  if (state.upload && state.upload.image) drawFitted(state.upload.image);
  const signal = state.model && state.model.kind === "signal";
  padContext.strokeStyle = "#000";
  padContext.lineWidth = signal ? 3 : PEN_WIDTH;
  padContext.lineCap = "round";
  padContext.lineJoin = "round";
  for (const stroke of signal ? [] : state.strokes) {
    padContext.beginPath();
    padContext.moveTo(stroke[0].x, stroke[0].y);
    for (const p of stroke.slice(1)) padContext.lineTo(p.x, p.y);
    if (stroke.length === 1) padContext.lineTo(stroke[0].x + 0.1, stroke[0].y);
    padContext.stroke();
  }
  if (signal) drawSignalCurve();
  clearBoxes();
}

function drawFitted(image) {
  const scale = Math.min(pad.width / image.width, pad.height / image.height);
  const w = image.width * scale, h = image.height * scale;
  state.upload.fit = { scale, left: (pad.width - w) / 2, top: (pad.height - h) / 2 };
  padContext.drawImage(image, state.upload.fit.left, state.upload.fit.top, w, h);
}

function isBlank() {
  return !state.upload && !state.strokes.some((s) => s.length > 0);
}

function clearPad() {
  state.strokes = [];
  state.upload = null;
  state.chosenClass = null;
  const wide = state.mode === "number";
  pad.width = wide ? 840 : 280;
  $("boxes").width = pad.width;
  redraw();
  $("predicted-label").textContent = "–";
  $("predicted-confidence").textContent = "";
  $("bars").replaceChildren();
  $("activations").replaceChildren();
  $("number").textContent = "";
  $("digits").replaceChildren();
  blankCanvas($("seen"));
  blankCanvas($("gradcam"));
  setStatus("");
}

$("clear").addEventListener("click", clearPad);
$("undo").addEventListener("click", undo);
document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key === "z") { event.preventDefault(); undo(); }
});

function undo() {
  if (state.upload) { clearPad(); return; }
  state.strokes.pop();
  redraw();
  if (isBlank()) clearPad(); else refresh(true);
}

function setMode(mode) {
  state.mode = mode;
  $("mode-digit").classList.toggle("active", mode === "digit");
  $("mode-number").classList.toggle("active", mode === "number");
  $("mode-digit").setAttribute("aria-selected", String(mode === "digit"));
  $("mode-number").setAttribute("aria-selected", String(mode === "number"));
  $("number-panel").hidden = mode !== "number";
  // Reading a number shows its digits; the one-digit panels would stay empty.
  for (const id of ["result-panel", "gradcam-panel", "activations-panel"]) {
    $(id).hidden = mode === "number";
  }
  $("draw-hint").textContent = mode === "number"
    ? "Write a row of digits: an amount, a postcode. Touching digits are split too."
    : "Draw a digit with the mouse, a finger or a pen.";
  clearPad();
}
$("mode-digit").addEventListener("click", () => setMode("digit"));
$("mode-number").addEventListener("click", () => setMode("number"));

$("slice").addEventListener("input", () => {
  $("slice-value").textContent = Number($("slice").value).toFixed(2);
  if (!isBlank()) refresh(true);
});

$("upload").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  state.strokes = [];
  state.upload = { file, image: null };
  if (!file.name.endsWith(".npy")) {
    try {
      state.upload.image = await createImageBitmap(file);
    } catch (error) {
      // The server says what is wrong with the file; the page just cannot show it.
    }
  }
  redraw();
  refresh(true);
});

// ---------------------------------------------------------------- 1D signals

function signalValues() {
  // One value per pad column: the last height drawn there, gaps interpolated;
  // up is positive, the pad's middle is 0.
  const values = new Array(pad.width).fill(null);
  for (const stroke of state.strokes) {
    for (let i = 0; i < stroke.length; i++) {
      const a = stroke[i], b = stroke[Math.min(i + 1, stroke.length - 1)];
      const steps = Math.max(1, Math.ceil(Math.abs(b.x - a.x)));
      for (let s = 0; s <= steps; s++) {
        const x = Math.round(a.x + ((b.x - a.x) * s) / steps);
        const y = a.y + ((b.y - a.y) * s) / steps;
        if (x >= 0 && x < values.length) values[x] = 1 - (2 * y) / pad.height;
      }
    }
  }
  const known = values.map((v, i) => (v === null ? -1 : i)).filter((i) => i >= 0);
  if (!known.length) return null;
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== null) continue;
    const right = known.find((k) => k > i), left = [...known].reverse().find((k) => k < i);
    if (left === undefined) values[i] = values[right];
    else if (right === undefined) values[i] = values[left];
    else values[i] = values[left] + ((values[right] - values[left]) * (i - left)) / (right - left);
  }
  return values;
}

function drawSignalCurve() {
  padContext.strokeStyle = "#d0d4dc";
  padContext.lineWidth = 1;
  padContext.beginPath();
  padContext.moveTo(0, pad.height / 2);
  padContext.lineTo(pad.width, pad.height / 2);
  padContext.stroke();
  const values = signalValues();
  if (!values) return;
  padContext.strokeStyle = "#000";
  padContext.lineWidth = 3;
  padContext.beginPath();
  values.forEach((v, x) => {
    const y = ((1 - v) * pad.height) / 2;
    if (x === 0) padContext.moveTo(x, y); else padContext.lineTo(x, y);
  });
  padContext.stroke();
}

// ---------------------------------------------------------------- requests

function padBlob() {
  return new Promise((resolve) => pad.toBlob(resolve, "image/png"));
}

async function inputForm() {
  const form = new FormData();
  const kind = state.model.kind;
  if (kind === "signal") {
    const values = signalValues();
    if (!values) return null;
    form.append("signal", JSON.stringify(values));
  } else if (state.upload && state.upload.file.name.endsWith(".npy")) {
    form.append("volume", state.upload.file, state.upload.file.name);
  } else if (state.upload) {
    form.append("image", state.upload.file, state.upload.file.name);
  } else {
    form.append("image", await padBlob(), "drawing.png");
  }
  if (kind === "volume") form.append("slice", $("slice").value);
  return form;
}

// Ask for a prediction (while drawing) or the full explanation (after a stroke).
// One request at a time: a newer drawing waits for the answer to the older one.
async function refresh(full) {
  if (!state.model || isBlank()) return;
  if (state.inFlight) {
    state.again = full || state.again === "full" ? "full" : "quick";
    return;
  }
  state.inFlight = true;
  state.lastPredict = Date.now();
  try {
    const form = await inputForm();
    if (!form) return;
    if (state.mode === "number") {
      renderNumber(await api("read-number", form));
    } else if (full) {
      if (state.chosenClass !== null) form.append("class", String(state.chosenClass));
      renderExplanation(await api("explain", form));
    } else {
      renderPrediction(await api("predict", form));
    }
    setStatus("");
  } catch (error) {
    setStatus(error.message, true);
  } finally {
    state.inFlight = false;
    const again = state.again;
    state.again = false;
    if (again) refresh(again === "full");
  }
}

// ---------------------------------------------------------------- rendering

function renderPrediction(result) {
  const names = state.model.classes;
  const best = result.probabilities[result.class];
  $("predicted-label").textContent = result.label;
  $("predicted-confidence").textContent = `${(100 * best).toFixed(1)} % sure`;
  const rows = result.probabilities.map((p, k) => {
    const row = document.createElement("div");
    row.className = "bar-row" + (k === result.class ? " top" : "") +
      (k === state.chosenClass ? " chosen" : "");
    row.dataset.class = String(k);
    row.title = `Show where the network looks for ${names[k]}`;
    const label = document.createElement("span");
    label.className = "bar-label";
    label.textContent = names[k];
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    bar.append(fill);
    const value = document.createElement("span");
    value.className = "bar-value";
    value.textContent = `${(100 * p).toFixed(1)}%`;
    row.append(label, bar, value);
    row.addEventListener("click", () => {
      state.chosenClass = state.chosenClass === k ? null : k;
      refresh(true);
    });
    return row;
  });
  $("bars").replaceChildren(...rows);
  drawSeen(result.input);
  document.body.dataset.predictions = String(Number(document.body.dataset.predictions || 0) + 1);
}

function renderExplanation(result) {
  renderPrediction(result);
  const names = state.model.classes;
  $("cam-class").textContent = names[result.explained_class];
  if (result.gradcam) {
    drawGradcam(result.input, result.gradcam);
    $("cam-layer").textContent =
      `Heatmap of layer ${result.gradcam_layer}, for class ${names[result.explained_class]}.`;
  } else {
    blankCanvas($("gradcam"));
    $("cam-layer").textContent = "This model has no layer that keeps the picture's shape.";
  }
  renderActivations(result.activations, result.activation_shapes);
  document.body.dataset.explanations = String(Number(document.body.dataset.explanations || 0) + 1);
}

function renderNumber(result) {
  $("number").textContent = result.number || "(no digit found)";
  const items = result.digits.map((d) => {
    const item = document.createElement("li");
    const digit = document.createElement("b");
    digit.textContent = String(d.digit);
    item.append(digit, `${(100 * d.confidence).toFixed(1)} %`);
    return item;
  });
  $("digits").replaceChildren(...items);
  drawBoxes(result.digits);
  document.body.dataset.readings = String(Number(document.body.dataset.readings || 0) + 1);
}

function clearBoxes() {
  const boxes = $("boxes");
  boxes.height = pad.height;
  boxes.style.width = pad.getBoundingClientRect().width - 4 + "px";
  boxes.getContext("2d").clearRect(0, 0, boxes.width, boxes.height);
}

function drawBoxes(digits) {
  clearBoxes();
  const context = $("boxes").getContext("2d");
  const fit = state.upload && state.upload.fit ? state.upload.fit : { scale: 1, left: 0, top: 0 };
  context.lineWidth = 2;
  context.font = "bold 18px system-ui, sans-serif";
  for (const d of digits) {
    const [x, y, w, h] = d.box;
    const left = fit.left + x * fit.scale, top = fit.top + y * fit.scale;
    context.strokeStyle = d.confidence > 0.8 ? "#1c9a5b" : "#d08700";
    context.strokeRect(left, top, w * fit.scale, h * fit.scale);
    context.fillStyle = context.strokeStyle;
    context.fillText(`${d.digit}`, left + 2, Math.max(16, top - 4));
  }
}

// ------------------------------------------------------------ pictures of arrays

// Colour maps as a few anchors, linearly interpolated (perceptual enough here).
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const TURBO = [[48, 18, 59], [40, 138, 246], [28, 229, 141], [190, 236, 49], [251, 128, 35], [122, 4, 3]];
const DIVERGING = [[33, 102, 172], [247, 247, 247], [178, 24, 43]];

function colour(anchors, t) {
  const u = Math.min(1, Math.max(0, t)) * (anchors.length - 1);
  const i = Math.min(anchors.length - 2, Math.floor(u)), f = u - i;
  return anchors[i].map((a, c) => Math.round(a + (anchors[i + 1][c] - a) * f));
}

function range(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}

function blankCanvas(canvas) {
  const context = canvas.getContext("2d");
  context.fillStyle = "#f0f2f6";
  context.fillRect(0, 0, canvas.width, canvas.height);
  delete canvas.dataset.drawn;
}

// A 2-D list (or H x W x 3 list) as an image of its own size, then scaled up.
function arrayImage(rows, anchors, lo, hi) {
  const height = rows.length, width = rows[0].length;
  const rgb = Array.isArray(rows[0][0]);
  const image = new ImageData(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = rows[y][x];
      const c = rgb ? v.map((ch) => Math.round((255 * (ch - lo)) / (hi - lo || 1)))
        : anchors ? colour(anchors, (v - lo) / (hi - lo || 1))
          : [0, 0, 0].map(() => Math.round((255 * (v - lo)) / (hi - lo || 1)));
      const o = 4 * (y * width + x);
      image.data[o] = c[0]; image.data[o + 1] = c[1]; image.data[o + 2] = c[2]; image.data[o + 3] = 255;
    }
  }
  return image;
}

function paint(canvas, image) {
  const scratch = document.createElement("canvas");
  scratch.width = image.width;
  scratch.height = image.height;
  scratch.getContext("2d").putImageData(image, 0, 0);
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.drawImage(scratch, 0, 0, canvas.width, canvas.height);
  canvas.dataset.drawn = "true";
}

function plotLine(canvas, values, colourText = "#2f6fde") {
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  const [lo, hi] = range(values);
  context.strokeStyle = colourText;
  context.lineWidth = 1.5;
  context.beginPath();
  values.forEach((v, i) => {
    const x = (i / Math.max(1, values.length - 1)) * (canvas.width - 1);
    const y = canvas.height - 1 - ((v - lo) / (hi - lo || 1)) * (canvas.height - 2);
    if (i === 0) context.moveTo(x, y); else context.lineTo(x, y);
  });
  context.stroke();
  canvas.dataset.drawn = "true";
}

function flat(rows) {
  return rows.flat(Infinity);
}

function drawSeen(input) {
  const canvas = $("seen");
  if (!Array.isArray(input[0])) { plotLine(canvas, input, "#000"); return; }
  const [lo, hi] = Array.isArray(input[0][0]) ? [0, 1] : range(flat(input));
  paint(canvas, arrayImage(input, null, Math.min(lo, 0), Math.max(hi, 1e-6)));
}

function drawGradcam(input, heat) {
  const canvas = $("gradcam");
  if (!Array.isArray(heat[0])) {  // a 1D model: the curve, coloured by the heat
    plotLine(canvas, input, "#000");
    const context = canvas.getContext("2d");
    heat.forEach((h, i) => {
      const [r, g, b] = colour(TURBO, h);
      context.fillStyle = `rgba(${r},${g},${b},0.45)`;
      const x = (i / heat.length) * canvas.width;
      context.fillRect(x, 0, canvas.width / heat.length + 1, canvas.height);
    });
    return;
  }
  const rgb = Array.isArray(input[0][0]);
  const [lo, hi] = rgb ? [0, 1] : range(flat(input));
  const height = heat.length, width = heat[0].length;
  const image = new ImageData(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = input[y] !== undefined && input[y][x] !== undefined ? input[y][x] : 0;
      const gray = rgb ? v.map((c) => 255 * c) : [0, 0, 0].map(() => (255 * (v - lo)) / (hi - lo || 1));
      const h = colour(TURBO, heat[y][x]);
      const alpha = 0.55 * Math.sqrt(Math.max(0, heat[y][x]));
      const o = 4 * (y * width + x);
      for (let c = 0; c < 3; c++) image.data[o + c] = Math.round((1 - alpha) * gray[c] + alpha * h[c]);
      image.data[o + 3] = 255;
    }
  }
  paint(canvas, image);
}

function renderFilters(result) {
  const grid = $("filters");
  if (!result) {
    $("filters-layer").textContent = "(this model has no convolution)";
    grid.replaceChildren();
    return;
  }
  $("filters-layer").textContent = `${result.layer}, kernel ${JSON.stringify(result.shape)}`;
  const canvases = result.filters.map((f, i) => {
    const canvas = document.createElement("canvas");
    canvas.title = `filter ${i}`;
    if (!Array.isArray(f[0])) {
      canvas.width = 48; canvas.height = 32;
      plotLine(canvas, f);
      return canvas;
    }
    canvas.width = canvas.height = 40;
    const values = flat(f);
    const bound = Math.max(...values.map(Math.abs)) || 1;
    const rgb = Array.isArray(f[0][0]);
    paint(canvas, rgb ? arrayImage(f, null, -bound, bound) : arrayImage(f, DIVERGING, -bound, bound));
    return canvas;
  });
  grid.replaceChildren(...canvases);
}

function renderActivations(activations, shapes) {
  const blocks = Object.entries(activations).map(([name, maps]) => {
    const block = document.createElement("div");
    block.className = "layer";
    block.dataset.layer = name;
    const title = document.createElement("h3");
    const shape = shapes[name];
    const shown = maps.length < shape[shape.length - 1] ? `, first ${maps.length} shown` : "";
    title.append(name, " ");
    const small = document.createElement("small");
    small.textContent = `${JSON.stringify(shape)}${shown}`;
    title.append(small);
    const grid = document.createElement("div");
    grid.className = "grid";
    for (const [i, map] of maps.entries()) {
      const canvas = document.createElement("canvas");
      canvas.title = `${name}, map ${i}`;
      if (!Array.isArray(map[0])) {
        canvas.width = 64; canvas.height = 32;
        plotLine(canvas, map);
      } else {
        const scale = MAP_PIXELS / Math.max(map.length, map[0].length);
        canvas.width = Math.max(8, Math.round(map[0].length * scale));
        canvas.height = Math.max(8, Math.round(map.length * scale));
        const [lo, hi] = range(flat(map));
        paint(canvas, arrayImage(map, VIRIDIS, lo, hi));
      }
      grid.append(canvas);
    }
    block.append(title, grid);
    return block;
  });
  $("activations").replaceChildren(...blocks);
}

// ---------------------------------------------------------------- start

loadModels().catch((error) => setStatus(error.message, true));
