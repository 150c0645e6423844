// ragkit's web page (served by `ragkit serve` at /). Hand-written, no build step, no framework.
// Safety rule: every string that comes from the server (answers, document text, file names, reasons)
// reaches the page through textContent or text nodes, never through innerHTML.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const KEY = "ragkit.apiKey";
  const CHAT = "ragkit.chatSession";
  const st = { docs: new Map(), jobs: [], chat: false, busy: false, keysRequired: false, facets: null };

  // ---- DOM helpers -----------------------------------------------------------------------------
  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") e.textContent = String(v);
      else if (k === "cls") e.className = v;
      else if (k.startsWith("on")) throw new Error("no inline handlers");
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const kid of kids) {
      if (kid === null || kid === undefined) continue;
      e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return e;
  }
  const clear = (e) => { e.replaceChildren(); return e; };
  const status = (msg) => { $("status").textContent = msg || ""; };
  const ms = (s) => (s * 1000 >= 100 ? Math.round(s * 1000) : (s * 1000).toFixed(1)) + " ms";
  const usd = (v) => (v === null || v === undefined ? "unknown" : "$" + Number(v).toFixed(v && v < 0.01 ? 6 : 4));
  const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "");
  function dl(target, pairs) {
    clear(target);
    for (const [k, v] of pairs) {
      if (v === null || v === undefined || v === "") continue;
      target.append(el("div", {}, el("dt", { text: k }), el("dd", { text: v })));
    }
    return target;
  }

  // ---- API -------------------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const k = sessionStorage.getItem(KEY);
    if (k) h.Authorization = "Bearer " + k;
    return h;
  }
  async function api(path, opts) {
    opts = opts || {};
    const res = await fetch(path, Object.assign({}, opts, { headers: headers(opts.headers) }));
    if (!res.ok) {
      let msg = res.status + " " + res.statusText;
      try { const b = await res.json(); if (b && b.error) msg = b.error.message; } catch (e) { /* not JSON */ }
      if (res.status === 401) { st.keysRequired = true; showKey(msg); }
      throw new ApiError(res.status, msg);
    }
    return res;
  }
  const getJSON = async (path) => (await api(path)).json();
  const postJSON = (path, body, accept) => api(path, {
    method: "POST", body: JSON.stringify(body),
    headers: Object.assign({ "Content-Type": "application/json" }, accept ? { Accept: accept } : {}),
  });

  // Server-sent events over fetch (EventSource cannot POST): WHATWG field parsing.
  async function* sse(res) {
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = "", event = "", data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl;
      while ((nl = buf.search(/\r?\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf[nl] === "\r" ? 2 : 1));
        if (line === "") {
          if (data.length) yield { event: event || "message", data: JSON.parse(data.join("\n")) };
          event = ""; data = [];
        } else if (!line.startsWith(":")) {
          const i = line.indexOf(":");
          const name = i < 0 ? line : line.slice(0, i);
          let val = i < 0 ? "" : line.slice(i + 1);
          if (val.startsWith(" ")) val = val.slice(1);
          if (name === "event") event = val; else if (name === "data") data.push(val);
        }
      }
    }
  }

  // ---- API key (kept in this tab only) ---------------------------------------------------------
  function showKey(why) {
    $("key-why").textContent = (why ? why + ". " : "") +
      "The key is kept in this tab only (sessionStorage) and sent as an Authorization: Bearer header.";
    $("key-form").hidden = false;
    $("key-input").focus();
  }
  $("key-button").addEventListener("click", () => showKey(""));
  $("key-close").addEventListener("click", () => { $("key-form").hidden = true; });
  $("key-forget").addEventListener("click", () => {
    sessionStorage.removeItem(KEY); $("key-input").value = ""; status("The API key was forgotten.");
  });
  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const k = $("key-input").value.trim();
    if (k) sessionStorage.setItem(KEY, k);
    $("key-input").value = "";
    $("key-form").hidden = true;
    status("Key set for this tab.");
    loadFacets(); refreshView();
  });

  // ---- views -----------------------------------------------------------------------------------
  let current = "ask";
  function show(view) {
    current = view;
    status("");
    for (const t of document.querySelectorAll(".tab")) {
      if (t.dataset.view === view) t.setAttribute("aria-current", "page"); else t.removeAttribute("aria-current");
    }
    for (const s of document.querySelectorAll(".view")) s.hidden = s.id !== "view-" + view;
    refreshView();
  }
  function refreshView() {
    const f = { index: loadIndex, cost: loadCost, evals: loadEvals }[current];
    if (f) f().catch((e) => status(e.message));
  }
  for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => show(t.dataset.view));

  // ---- filters from the index's metadata -------------------------------------------------------
  async function loadFacets() {
    try {
      const f = st.facets = await getJSON("/v1/facets");
      const src = clear($("f-source"));
      for (const s of f.sources) src.append(el("option", { value: s, text: s }));
      const sec = clear($("f-section"));
      sec.append(el("option", { value: "", text: "any section" }));
      for (const s of f.sections) sec.append(el("option", { value: s, text: s }));
      setDateBounds();
    } catch (e) { if (e.status !== 401) status("Filters unavailable: " + e.message); }
  }
  function setDateBounds() {
    const r = st.facets && st.facets[$("f-date-field").value];
    for (const id of ["f-from", "f-to"]) {
      if (r) { $(id).min = r.min; $(id).max = r.max; } else { $(id).removeAttribute("min"); $(id).removeAttribute("max"); }
    }
  }
  $("f-date-field").addEventListener("change", setDateBounds);
  $("f-clear").addEventListener("click", () => {
    for (const o of $("f-source").options) o.selected = false;
    $("f-section").value = ""; $("f-from").value = ""; $("f-to").value = "";
  });
  function filters() {
    const f = {};
    const sources = Array.from($("f-source").selectedOptions, (o) => o.value);
    if (sources.length) f.source = sources;
    if ($("f-section").value) f.section = $("f-section").value;
    const range = {};
    if ($("f-from").value) range.gte = $("f-from").value;
    if ($("f-to").value) range.lte = $("f-to").value;
    if (Object.keys(range).length) f[$("f-date-field").value] = range;
    return Object.keys(f).length ? f : null;
  }

  // ---- ask -------------------------------------------------------------------------------------
  function newTurn(question) {
    const live = el("p", { cls: "streaming", "aria-busy": "true" });
    const turn = el("li", { cls: "turn" }, el("h3", { cls: "q", text: question }), live,
      el("div", { cls: "answer" }), el("dl", { cls: "meta small" }));
    $("turns").prepend(turn);
    return turn;
  }

  $("question").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $("ask-form").requestSubmit(); }
  });
  $("ask-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = $("question").value.trim();
    if (!q || st.busy) return;
    st.busy = true; $("ask-submit").disabled = true; status("Asking…");
    const turn = newTurn(q);
    const live = turn.querySelector(".streaming");
    try {
      const body = st.chat && $("chat-mode").checked
        ? ["/v1/chat", { session_id: chatSession(), message: q, filters: filters(), stream: true }]
        : ["/v1/ask", { question: q, filters: filters(), stream: true }];
      const res = await postJSON(body[0], body[1], "text/event-stream");
      let done = false;
      for await (const ev of sse(res)) {
        if (ev.event === "delta") live.textContent += ev.data.text;
        else if (ev.event === "condensed") {
          const sq = standalone(ev.data.standalone_question, q);
          if (sq) clear(turn.querySelector(".answer")).append(sq);
        }
        else if (ev.event === "reset") live.textContent = "";
        else if (ev.event === "done") { done = true; renderAnswer(turn, ev.data); }
        else if (ev.event === "error") {
          done = true;
          renderError(turn, ev.data.error ? ev.data.error.message : "the answer failed", ev.data.partial_text);
        }
      }
      if (!done) renderError(turn, "the stream ended before the answer was complete", live.textContent);
      $("question").value = "";
      status("Answered.");
    } catch (e) {
      renderError(turn, e.message, "");
      status(e.message);
    } finally {
      live.removeAttribute("aria-busy");
      st.busy = false; $("ask-submit").disabled = false;
    }
  });

  function renderError(turn, message, partial) {
    const box = clear(turn.querySelector(".answer"));
    turn.querySelector(".streaming").remove();
    box.append(el("p", { cls: "error", role: "alert" }, el("strong", { text: "Error: " }), message));
    if (partial) box.append(el("p", { cls: "muted", text: partial }));
  }

  function standalone(sq, asked) {  // conversation mode: what the follow-up was retrieved with
    if (!sq || sq === asked) return null;
    return el("p", { cls: "muted small standalone" }, "Searched for: ", el("q", { text: sq }));
  }
  const MARK = /\[Source:[^\]]*\]/g;
  function renderAnswer(turn, a) {
    const live = turn.querySelector(".streaming");
    if (live) live.remove();
    turn.dataset.queryId = a.query_id || "";
    const box = clear(turn.querySelector(".answer"));
    const sq = standalone(a.standalone_question, a.question);
    if (sq) box.append(sq);
    if (a.abstained) {
      box.append(el("div", { cls: "abstained", role: "note" }, el("strong", { text: "No answer from the index. " }),
        a.text || "", a.abstain_reason ? el("p", { cls: "small", text: "Why: " + a.abstain_reason }) : null));
    } else {
      const p = el("p", { cls: "text" });
      const used = new Set();
      const pick = (raw) => {
        let i = a.citations.findIndex((c, j) => !used.has(j) && c.raw === raw);
        if (i < 0) i = a.citations.findIndex((c, j) => !used.has(j) && raw.includes(c.source));
        if (i >= 0) used.add(i);
        return i;
      };
      let last = 0, m;
      const text = a.text || "";
      MARK.lastIndex = 0;
      while ((m = MARK.exec(text))) {
        const i = pick(m[0]);
        const c = i >= 0 ? a.citations[i] : null;
        const seg = text.slice(last, m.index);
        const ok = c && c.verified;
        p.append(el("span", { cls: "sentence " + (ok ? "verified" : "unverified") }, seg,
          ok ? null : el("span", { cls: "flag", text: " (unverified" + (c && c.reason ? ": " + c.reason : "") + ")" })));
        p.append(c ? chip(c, a, i) : el("span", { cls: "chip bad", text: m[0] }), " ");
        last = m.index + m[0].length;
      }
      const rest = text.slice(last);
      if (rest.trim()) p.append(el("span", { cls: "sentence uncited" }, rest));
      box.append(p);
      const unused = a.citations.filter((c, j) => !used.has(j));
      if (unused.length) {
        const more = el("p", { cls: "chips" }, "Also cited: ");
        for (const c of unused) more.append(chip(c, a, a.citations.indexOf(c)), " ");
        box.append(more);
      }
      if (!a.verified) box.append(el("p", { cls: "warn", role: "note", text: "Not every sentence of this answer is supported by its citation." }));
    }
    const lat = Object.entries(a.latency || {}).map(([k, v]) => k + " " + ms(v)).join(" · ");
    const r = a.routing || {};
    const u = a.usage || {};
    dl(turn.querySelector(".meta"), [
      ["model", (a.provider && a.provider !== a.model ? a.provider + " / " : "") + (a.model || "")],
      ["route", [r.route, r.reason].filter(Boolean).join(": ") + (r.escalated ? " (escalated)" : "")],
      ["cache", a.cache_hit || ""],
      ["cost", usd(a.cost_usd)],
      ["tokens", (u.input_tokens || 0) + " in / " + (u.output_tokens || 0) + " out"],
      ["latency", lat],
    ]);
    if (a.notes && a.notes.length) {
      const notes = el("ul", { cls: "notes small" });
      for (const n of a.notes) notes.append(el("li", { text: n }));
      turn.append(notes);
    }
  }

  function chip(c, a, i) {
    const label = c.source + (c.page ? ", p. " + c.page : "");
    const b = el("button", { type: "button", cls: "chip " + (c.verified ? "ok" : "bad"), "data-citation": i,
      "aria-label": "Open the cited source " + label + (c.verified ? " (verified)" : " (unverified)") }, label);
    b.addEventListener("click", () => openSource(c, a));
    return b;
  }

  // Where the quote sits in the chunk text: exact, else with whitespace runs made equal.
  function locate(text, quote) {
    if (!quote) return null;
    const i = text.indexOf(quote);
    if (i >= 0) return [i, i + quote.length];
    const esc = quote.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("\\s+");
    const m = esc ? new RegExp(esc).exec(text) : null;
    return m ? [m.index, m.index + m[0].length] : null;
  }

  async function openSource(c, a) {
    const chunk = (a.chunks || []).find((h) => h.chunk_id === c.chunk_id);
    const doc = st.docs.get(c.source) || (await loadDocs().catch(() => null), st.docs.get(c.source));
    dl($("source-meta"), [
      ["source", c.source], ["title", chunk && chunk.title], ["page", c.page], ["section", chunk && chunk.section],
      ["date", doc && (doc.modified || doc.created)], ["support", c.support !== undefined ? Number(c.support).toFixed(2) : ""],
    ]);
    $("source-verdict").textContent = c.verified ? "Verified: the highlighted span supports the sentence."
      : "Unverified" + (c.reason ? ": " + c.reason : "") + ".";
    $("source-verdict").className = c.verified ? "ok" : "warn";
    const box = clear($("source-text"));
    const text = chunk ? chunk.text : c.quote;
    const span = locate(text, c.quote);
    if (span) {
      box.append(text.slice(0, span[0]), el("mark", { id: "highlight", text: text.slice(span[0], span[1]) }), text.slice(span[1]));
    } else {
      box.append(text);
    }
    $("source").hidden = false;
    $("source").focus();
    const mk = $("highlight");
    if (mk) mk.scrollIntoView({ block: "nearest" });
  }
  $("source-close").addEventListener("click", () => { $("source").hidden = true; });
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") { $("source").hidden = true; $("key-form").hidden = true; }
  });

  // ---- conversation mode (POST /v1/chat, when the server has it) -------------------------------
  function chatSession() {
    let id = sessionStorage.getItem(CHAT);
    if (!id) { id = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(); sessionStorage.setItem(CHAT, id); }
    return id;
  }
  async function detectChat() {
    try {
      const spec = await (await fetch("/openapi.json")).json();
      st.chat = Boolean(spec.paths && spec.paths["/v1/chat"]);
    } catch (e) { st.chat = false; }
    $("chat-controls").hidden = !st.chat;
    if (st.chat && sessionStorage.getItem(CHAT)) $("chat-mode").checked = true;
  }
  $("chat-mode").addEventListener("change", () => {
    status($("chat-mode").checked ? "Conversation mode: follow-ups use the earlier turns." : "Single questions.");
    if ($("chat-mode").checked) loadHistory();
  });
  async function loadHistory() {
    const id = sessionStorage.getItem(CHAT);
    if (!id) return;
    try {
      const s = await getJSON("/v1/chat/sessions/" + encodeURIComponent(id));
      clear($("turns"));
      for (const t of s.turns || []) {  // {turn, question, standalone, answer, abstained, citations, cost_usd, latency}
        const cites = t.citations || [];
        renderAnswer(newTurn(t.question || ""), {
          question: t.question, text: t.answer || "", standalone_question: t.standalone, abstained: t.abstained,
          citations: cites, chunks: [], verified: cites.every((c) => c.verified), cost_usd: t.cost_usd,
          latency: t.latency || {}, query_id: t.query_id, routing: {}, usage: {},
        });
      }
    } catch (e) { if (e.status !== 404) status(e.message); }
  }
  $("chat-reset").addEventListener("click", async () => {
    const id = sessionStorage.getItem(CHAT);
    sessionStorage.removeItem(CHAT);
    clear($("turns"));
    if (id) { try { await api("/v1/chat/sessions/" + encodeURIComponent(id), { method: "DELETE" }); } catch (e) { /* gone */ } }
    status("A new conversation starts with the next question.");
    $("question").focus();
  });

  // ---- index view ------------------------------------------------------------------------------
  async function loadDocs() {
    const d = await getJSON("/v1/documents?limit=1000");
    st.docs = new Map(d.documents.map((x) => [x.source, x]));
    return d;
  }
  async function loadIndex() {
    const [d, j] = await Promise.all([loadDocs(), getJSON("/v1/jobs?limit=20").catch(() => ({ jobs: [] }))]);
    st.jobs = j.jobs;
    const lastIngest = new Map();
    for (const job of j.jobs.slice().reverse()) {
      const files = (job.request && (job.request.files || job.request.paths)) || [];
      for (const f of files) lastIngest.set(f, job);
    }
    $("doc-total").textContent = "(" + d.total + ")";
    const body = clear($("docs").tBodies[0]);
    for (const doc of d.documents) {
      const job = lastIngest.get(doc.source);
      body.append(el("tr", {}, el("td", { text: doc.source }), el("td", { text: doc.title || "" }),
        el("td", { cls: "num", text: doc.chunks }), el("td", { cls: "nowrap", text: (doc.modified || doc.created || "").slice(0, 10) }),
        el("td", { text: job ? job.state + " " + when(job.finished || job.created)
          : (doc.ingested_at ? "stored " + doc.ingested_at.replace("T", " ").replace("+00:00", " UTC") : "") })));
    }
    const done = j.jobs.find((x) => x.report || x.error);
    if (done) renderReport(done);
  }
  function renderReport(job) {
    const box = clear($("last-report"));
    const r = job.report || {};
    box.append(el("p", {}, el("strong", { text: job.state }), " · job " + job.id.slice(0, 8) + " · " + when(job.finished || job.created)));
    if (job.error) box.append(el("p", { cls: "error", text: job.error }));
    if (job.report) {
      box.append(dl(el("dl", { cls: "meta" }), [["added", r.added], ["updated", r.updated], ["unchanged", r.unchanged],
        ["removed", r.removed], ["failed", r.failed], ["chunks added", r.chunks_added], ["seconds", Number(r.seconds || 0).toFixed(2)]]));
      if (r.failures && r.failures.length) {
        const t = el("table", {}, el("caption", { text: "Failures" }),
          el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "source" }), el("th", { scope: "col", text: "reason" }))));
        const tb = el("tbody");
        for (const f of r.failures) tb.append(el("tr", {}, el("td", { text: f.source }), el("td", { text: f.reason })));
        t.append(tb);
        box.append(el("div", { cls: "scroll" }, t));
      }
    }
  }
  $("upload-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const files = $("upload-files").files;
    if (!files.length) return;
    const form = new FormData();
    for (const f of files) form.append("files", f, f.name);
    const bar = $("upload-progress"), label = $("upload-state");
    bar.hidden = false; bar.removeAttribute("value"); label.textContent = "uploading…";
    try {
      let job = await (await api("/v1/ingest", { method: "POST", body: form })).json();
      while (job.state === "queued" || job.state === "running") {
        const p = job.progress || {};
        if (p.total_chunks) { bar.max = p.total_chunks; bar.value = p.chunks || 0; }
        label.textContent = job.state + ": " + (p.files || 0) + " files, " + (p.chunks || 0) + " of " + (p.total_chunks || "?") + " chunks";
        await new Promise((r) => setTimeout(r, 300));
        job = await getJSON("/v1/jobs/" + job.id);
      }
      bar.max = 1; bar.value = 1;
      label.textContent = "ingest " + job.state + (job.error ? ": " + job.error : "");
      $("upload-files").value = "";
      await loadIndex();
      renderReport(job);
      loadFacets();
    } catch (e) {
      bar.hidden = true; label.textContent = "upload failed: " + e.message;
    }
  });

  // ---- cost view -------------------------------------------------------------------------------
  async function loadCost() {
    const since = $("cost-since").value;
    let r;
    try { r = await getJSON("/v1/cost" + (since ? "?since=" + encodeURIComponent(since) : "")); } catch (e) {
      dl($("cost-totals"), [["cost", e.status === 403 ? "the cost report needs a key with the admin role" : e.message]]);
      return;
    }
    const t = r.totals || {};
    const c = r.cache || {};
    dl($("cost-totals"), [["total cost", usd(t.cost_usd)], ["model calls", t.calls], ["failed calls", t.failed],
      ["input tokens", t.input_tokens], ["output tokens", t.output_tokens], ["cache hits", c.hits],
      ["cache hit rate", c.hit_rate !== undefined ? (100 * c.hit_rate).toFixed(1) + "%" : ""], ["saved by cache", usd(c.saved_usd)],
      ["saved by routing", r.routing ? usd(r.routing.saved_usd) : ""],
      ["per query (mean)", r.queries && r.queries.mean_usd !== null ? usd(r.queries.mean_usd) : ""]]);
    chart($("cost-chart"), r.by_day || []);
    const mb = clear($("cost-models").tBodies[0]);
    for (const g of r.by_model || []) {
      mb.append(el("tr", {}, el("td", { text: g.provider }), el("td", { text: g.model }), el("td", { cls: "num", text: g.calls }),
        el("td", { cls: "num", text: g.input_tokens }), el("td", { cls: "num", text: g.output_tokens }), el("td", { cls: "num", text: usd(g.cost_usd) })));
    }
    const sb = clear($("cost-stages").tBodies[0]);
    for (const g of r.by_stage || []) {
      sb.append(el("tr", {}, el("td", { text: g.stage }), el("td", { cls: "num", text: g.calls }), el("td", { cls: "num", text: usd(g.cost_usd) })));
    }
  }
  $("cost-since").addEventListener("change", () => loadCost().catch((e) => status(e.message)));

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function chart(box, days) {
    clear(box);
    if (!days.length) { box.append(el("p", { cls: "muted", text: "No ledger rows in this period." })); return; }
    const useCost = days.some((d) => d.cost_usd > 0);
    const val = (d) => (useCost ? d.cost_usd : d.calls);
    const W = 640, H = 220, L = 56, B = 36, T = 12;
    const max = Math.max(...days.map(val), useCost ? 1e-6 : 1);
    const bw = (W - L - 8) / days.length;
    const g = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", class: "chart",
      "aria-label": (useCost ? "Cost" : "Model calls") + " per day, " + days.length + " days" });
    g.append(svg("line", { x1: L, y1: H - B, x2: W - 4, y2: H - B, class: "axis" }));
    g.append(svg("text", { x: L - 6, y: T + 4, "text-anchor": "end", class: "tick" }, useCost ? usd(max) : max));
    g.append(svg("text", { x: L - 6, y: H - B, "text-anchor": "end", class: "tick" }, "0"));
    g.append(svg("text", { x: 4, y: T + 4, class: "tick" }, useCost ? "USD" : "calls"));
    days.forEach((d, i) => {
      const h = ((H - B - T) * val(d)) / max;
      const x = L + i * bw + bw * 0.15;
      const r = svg("rect", { x: x, y: H - B - h, width: Math.max(1, bw * 0.7), height: Math.max(0, h), class: "bar" });
      r.append(svg("title", {}, d.day + ": " + usd(d.cost_usd) + ", " + d.calls + " calls"));
      g.append(r);
      if (days.length <= 14 || i % Math.ceil(days.length / 14) === 0) {
        g.append(svg("text", { x: x + bw * 0.35, y: H - B + 14, "text-anchor": "middle", class: "tick" }, d.day.slice(5)));
      }
    });
    box.append(g);
  }

  // ---- evals view ------------------------------------------------------------------------------
  async function loadEvals() {
    const box = clear($("evals"));
    let r;
    try { r = await getJSON("/v1/evals"); } catch (e) {
      box.append(el("p", { cls: "muted", text: e.status === 403 ? "Eval reports need a key with the admin role." : e.message }));
      return;
    }
    if (!r.evals.length) { box.append(el("p", { cls: "muted", text: "No eval report yet: run ragkit eval SUITE.yaml." })); return; }
    for (const e of r.evals) {
      const s = e.summary || {};
      const card = el("article", { cls: "panel" },
        el("h3", {}, e.name + " ", el("span", { cls: "badge " + (e.status || ""), text: e.status || "?" })),
        el("p", { cls: "small muted", text: (s.pass || 0) + " passed · " + (s.fail || 0) + " failed · " + (s.skip || 0) +
          " skipped · started " + (e.started || "?") }));
      const t = el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "#" }),
        el("th", { scope: "col", text: "check" }), el("th", { scope: "col", text: "status" }), el("th", { scope: "col", text: "metrics" }))));
      const tb = el("tbody");
      for (const c of e.checks) {
        const m = c.metrics.map((x) => x.key + " " + (typeof x.value === "number" ? x.value.toFixed(3) : x.value)).join("; ");
        tb.append(el("tr", {}, el("td", { text: c.number }), el("td", { text: c.title }), el("td", { text: c.status }), el("td", { text: m })));
      }
      t.append(tb);
      card.append(el("div", { cls: "scroll" }, t));
      if (e.html) {
        const b = el("button", { type: "button", cls: "secondary", text: "Show the HTML report" });
        b.addEventListener("click", () => openReport(e.name));
        card.append(b);
      }
      box.append(card);
    }
  }
  async function openReport(name) {
    const url = "/v1/evals/" + encodeURIComponent(name) + "/report.html";
    if (!sessionStorage.getItem(KEY)) {  // no key: the sandboxed frame loads it itself
      const f = $("eval-frame"); f.src = url; f.hidden = false; f.focus(); return;
    }
    const blob = await (await api(url)).blob();  // a key cannot go into a frame's URL: download it
    const a = el("a", { href: URL.createObjectURL(blob), download: name + "-report.html" });
    document.body.append(a); a.click(); a.remove();
  }

  // ---- start -----------------------------------------------------------------------------------
  async function start() {
    for (let i = 0; i < 120; i++) {
      const r = await fetch("/readyz").catch(() => null);
      if (r && r.ok) break;
      status("The server is starting…");
      await new Promise((res) => setTimeout(res, 500));
    }
    status("");
    await Promise.all([loadFacets(), detectChat()]);
    if (st.chat && $("chat-mode").checked) loadHistory();
    document.body.dataset.ready = "1";
  }
  start();
})();
