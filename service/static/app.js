// Pilah try-it page: plain JS, no build step, no external resources.
"use strict";

const $ = (id) => document.getElementById(id);

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Agencies and regions as non-overlapping highlighted spans (agencies win over regions inside them).
function highlight(text, agencies, regions) {
  const spans = [];
  for (const a of agencies) {
    const where = a.region ? `${a.region.name}${a.region_inferred ? " (disimpulkan dari teks)" : ""}` : "-";
    spans.push({ start: a.start, end: a.end, cls: "agency", title: `${a.name}\nWilayah: ${where}\nJenis: ${a.kind}` });
  }
  for (const r of regions) {
    if (!agencies.some((a) => r.start >= a.start && r.end <= a.end)) {
      spans.push({ start: r.start, end: r.end, cls: "region", title: `${r.name} (${r.level}, kode ${r.code})` });
    }
  }
  spans.sort((x, y) => x.start - y.start);
  let out = "";
  let pos = 0;
  for (const s of spans) {
    if (s.start < pos) continue;
    out += escapeHtml(text.slice(pos, s.start));
    out += `<mark class="${s.cls}" title="${escapeHtml(s.title)}" data-name="${escapeHtml(s.title.split("\n")[0])}">` +
      escapeHtml(text.slice(s.start, s.end)) + "</mark>";
    pos = s.end;
  }
  return out + escapeHtml(text.slice(pos));
}

function render(text, res) {
  $("output").hidden = false;
  const labels = res.labels.length ? res.labels : [res.sector.label];
  $("labels").innerHTML = labels
    .map((l) => `<span class="${res.labels.length ? "" : "abstain"}">${escapeHtml(l)}</span>`).join("");
  $("bars").innerHTML = res.sectors.slice(0, 8).map((s, i) =>
    `<li class="${i === 0 ? "top" : ""}" data-label="${escapeHtml(s.label)}"><span>${escapeHtml(s.label)}</span>` +
    `<div class="bar"><div style="width:${(s.score * 100).toFixed(1)}%"></div></div>` +
    `<span>${s.score.toFixed(2)}</span></li>`).join("");
  $("highlighted").innerHTML = highlight(text, res.agencies, res.regions);
  $("agency-list").innerHTML = res.agencies.map((a) =>
    `<li><b>${escapeHtml(a.text)}</b> → ${escapeHtml(a.name)}</li>`).join("");
  $("explain").textContent = (res.explanation || []).map((t) => t.term).join(", ") || "-";
  $("model").textContent = `Model ${res.model.name} ${res.model.version}`;
}

async function analyze() {
  const text = $("text").value;
  $("status").textContent = "menganalisis…";
  $("status").className = "";
  try {
    const resp = await fetch("/v1/analyze", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text, explain: true }),
    });
    const body = await resp.json();
    if (!resp.ok) {
      $("status").textContent = body.detail || "gagal";
      $("status").className = "error";
      return;
    }
    render(text, body);
    $("status").textContent = "selesai";
  } catch (e) {
    $("status").textContent = "Layanan tidak dapat dihubungi.";
    $("status").className = "error";
  }
}

async function loadExamples() {
  const resp = await fetch("/static/examples.json");
  const examples = await resp.json();
  $("examples").innerHTML = "";
  examples.forEach((t, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "example";
    b.id = `example-${i}`;
    b.textContent = t.length > 90 ? t.slice(0, 90) + "…" : t;
    b.addEventListener("click", () => { $("text").value = t; analyze(); });
    $("examples").appendChild(b);
  });
}

$("analyze").addEventListener("click", analyze);
loadExamples();
