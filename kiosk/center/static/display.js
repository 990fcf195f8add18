// The calling display: polls the host's board, shows the numbers being called (newest first,
// large) with the counter to go to, the next ones, the host's clock (not this screen's, which
// may be unset or in another time zone), and for each new call plays the chime and speaks it
// in Japanese and,
// when the ticket's language differs, in that language too (Web Speech API, offline voices).
// window.centerSpoken keeps what was asked to be said (for tests and a staff check).
"use strict";
(function () {
  const PHRASES = {
    ja: (n, c) => `番号、${n}番の方、${c}番窓口へお越しください。`,
    "ja-easy": (n, c) => `${n}ばんの かた、${c}ばんの まどぐちへ きてください。`,
    en: (n, c) => `Number ${n}, please come to counter ${c}.`,
    "zh-Hans": (n, c) => `请${n}号到${c}号窗口。`,
    ko: (n, c) => `${n}번 손님, ${c}번 창구로 오십시오.`,
    "pt-BR": (n, c) => `Senha ${n}, dirija-se ao guichê ${c}.`,
    vi: (n, c) => `Số ${n}, xin mời đến quầy số ${c}.`,
  };
  const VOICE_LANG = { ja: "ja-JP", "ja-easy": "ja-JP", en: "en-US", "zh-Hans": "zh-CN", ko: "ko-KR", "pt-BR": "pt-BR", vi: "vi-VN" };
  window.centerSpoken = [];
  const seen = new Set();
  let first = true;
  const chime = new Audio("/chime.wav");
  const spokenLabel = (label) => label.replace("-", "").split("").join(" ");

  function say(lang, text) {
    window.centerSpoken.push({ lang, text });
    if (!("speechSynthesis" in window)) return;
    const u = new SpeechSynthesisUtterance(text);
    u.lang = VOICE_LANG[lang] || "ja-JP";
    u.rate = 0.9;
    window.speechSynthesis.speak(u);
  }

  function announce(t) {
    chime.play().catch(() => {});  // autoplay may wait for a first tap; the text still shows
    const n = spokenLabel(t.label);
    say("ja", PHRASES.ja(n, t.counter));
    if (t.language && t.language !== "ja" && PHRASES[t.language]) say(t.language, PHRASES[t.language](n, t.counter));
  }

  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

  // The counter as a place to go: 「2番窓口」 (a counter named by letters reads 「窓口 A1」).
  const counterText = (c) => (/^[0-9]+$/.test(c) ? `${c}番窓口` : `窓口 ${c}`);

  function render(board) {
    const calls = document.getElementById("calls");
    calls.replaceChildren();
    const fresh = [];
    board.calling.forEach((t, i) => {
      const tr = document.createElement("tr");
      if (i === 0) tr.className = "fresh";
      tr.append(cell(t.label), cell(counterText(t.counter)));
      calls.append(tr);
      const key = `${t.label}@${t.called_at}`;
      if (!seen.has(key)) { seen.add(key); if (!first && t.state === "called") fresh.push(t); }
    });
    document.getElementById("no-calls").hidden = board.calling.length > 0;
    fresh.reverse().forEach(announce);  // several calls since the last poll: oldest first
    const next = document.getElementById("next");
    next.replaceChildren(...board.next.slice(0, 6).map((t) => { const li = document.createElement("li"); li.textContent = t.label; return li; }));
    // Nobody waiting: one plain sentence instead of 「約0分」 lines that look broken.
    const nobody = board.waiting === 0;
    // Phrases that break only between them (never 「いませ／ん」) in a narrow column.
    document.getElementById("waiting").replaceChildren(...(nobody ? ["お待ちの方は", "いません"] : ["お待ちの方", ` ${board.waiting}人`]).map((t) => {
      const span = document.createElement("span"); span.className = "phrase"; span.textContent = t; return span;
    }));
    document.getElementById("estimates-head").hidden = nobody;
    // Measured from today's counter times (kiosk.center.queue.estimate_wait_min)
    document.getElementById("estimates").replaceChildren(...(nobody ? [] : Object.entries(board.estimates || {}).filter(([id]) => id !== "reserved").sort(([a], [b]) => board.services[a].letter.localeCompare(board.services[b].letter)).map(([id, min]) => {
      const li = document.createElement("li");
      li.textContent = `${board.services[id].name}（${board.services[id].letter}）${min > 0 ? `約${min}分` : "まもなくご案内します"}`;
      return li;
    })));
    if (board.clock) document.getElementById("clock").textContent = board.clock;
    renderNotices(board.notices || [], board.notice_kinds || {});
    first = false;
  }

  // Notices come only from the host (staff on the console, or city hall's signed config bundle);
  // the source is shown with each so residents know who says it.
  const SOURCE = { city: "市役所から", staff: "このセンターから" };
  function renderNotices(notices, kinds) {
    document.getElementById("notices-box").hidden = notices.length === 0;
    document.getElementById("notices").replaceChildren(...notices.map((n) => {
      const li = document.createElement("li");
      li.dataset.source = n.source;
      const head = document.createElement("span");
      head.className = "kind";
      head.textContent = `${kinds[n.kind] || ""}｜${SOURCE[n.source] || ""}`;
      const ja = document.createElement("p");
      ja.lang = "ja"; ja.textContent = n.ja;
      li.append(head, ja);
      if (n.en) { const en = document.createElement("p"); en.lang = "en"; en.className = "en"; en.textContent = n.en; li.append(en); }
      return li;
    }));
  }

  async function poll() {
    try {
      const r = await fetch("/api/board", { cache: "no-store" });
      if (r.ok) render(await r.json());
    } catch (e) { /* the host restarts: try again on the next tick */ }
  }
  document.addEventListener("click", () => { chime.load(); document.getElementById("sound").hidden = true; });
  poll();
  setInterval(poll, 1000);
})();
