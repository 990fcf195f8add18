// The staff console: polls the host, acts on the chosen counter, shows staff calls with a sound
// until someone taps 向かいます. All requests carry the session's CSRF token.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const $ = (id) => document.getElementById(id);
  const SCREEN = { home: "ホーム", procedure_form: "申請の入力", pin: "暗証番号の入力", certificate: "証明書", booking_slot: "予約", queue_ticket: "整理券", survey: "アンケート" };
  // What went wrong, in staff words: the host's error codes never reach the screen as such.
  const ERR = {
    wrong_state: "その番号は、いまその操作ができる状態ではありません（ほかの窓口で操作済みかもしれません）。",
    counter_paused: "この窓口は休止中です。「この窓口を再開」を押してから呼んでください。",
    unknown_ticket: "その番号は見つかりません。", bad_ticket: "番号を確かめてください。",
    bad_counter: "窓口を選び直してください。", unknown_counter: "窓口を選び直してください。",
    transfer_target: "回す先（窓口か手続きの種類）を一つ選んでください。", unknown_service: "回す先を選び直してください。",
    unknown_call: "この呼出はもう対応済みです。", bad_call: "この呼出はもう対応済みです。",
    ages_do_not_add_up: "年齢ごとの人数の合計を確かめてください。", bad_ages: "年齢ごとの人数を確かめてください（0〜30人）。",
    bad_members: "人数を確かめてください（1世帯 1〜30人）。", bad_needs: "配慮の項目を選び直してください。",
    bad_name: "名前を確かめてください。", already_out: "この世帯はもう退所を記録済みです。",
    unknown_household: "その整理票のコードか名前の世帯は見つかりません。", ambiguous_name: "同じ名前の世帯が複数あります。整理票のコード（S-…）で記録してください。",
    code_or_name: "整理票のコードか代表者の名前を入れてください。", bad_code: "整理票のコード（S-と6文字）を確かめてください。",
    bad_notice: "お知らせの文を確かめてください（300字まで、改行や記号だけにしない）。", bad_kind: "お知らせの種類を選び直してください。",
    bad_hours: "表示する時間を選び直してください。", too_many_notices: "お知らせが多すぎます。古いものを取り下げてから出してください。",
    unknown_notice: "そのお知らせはもう取り下げられています。",
    csrf: "画面が古くなっています。再読み込みしてください。", login: "ログインし直してください。",
    internal: "センターの機械でエラーが起きました。もう一度お試しください。続くときは市役所の担当へ連絡してください。",
  };
  const why = (data, status) => ERR[data.error] || `うまくいきませんでした（${status}）。`;
  let state = null;
  let paused = false;

  async function post(action, body) {
    const r = await fetch(`/api/console/${action}`, {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ counter: $("counter").value, ...body }),
    });
    const data = await r.json().catch(() => ({}));
    $("message").textContent = r.ok ? "" : `できませんでした。${why(data, r.status)}`;
    await refresh();
    return data;
  }

  function mine() {
    if (!state) return null;
    return state.board.calling.find((t) => t.counter === $("counter").value) || null;
  }

  function beep() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const o = ctx.createOscillator(); o.frequency.value = 988; o.connect(ctx.destination);
      o.start(); o.stop(ctx.currentTime + 0.3);
    } catch (e) { /* no audio device: the red banner still shows */ }
  }

  function li(text) { const e = document.createElement("li"); e.textContent = text; return e; }

  function render() {
    const cur = mine();
    $("current").textContent = cur ? cur.label : "—";
    $("current-state").textContent = cur ? (cur.state === "serving" ? "対応中" : "呼出中") : "";
    $("waiting-count").textContent = `（${state.board.waiting}人）`;
    $("waiting").replaceChildren(...state.board.next.map((t) => li(`${t.label}${t.target_counter ? `（${t.target_counter}番窓口へ）` : ""}`)));
    $("calling").replaceChildren(...state.board.calling.map((t) => li(`${t.label} — ${t.counter}番窓口 ${t.state === "serving" ? "対応中" : "呼出中"}`)));
    $("reservations").replaceChildren(...(state.reservations.length ? state.reservations.map((t) => li(`${t.label}（${{ waiting: "お待ち", called: "呼出中", serving: "対応中", done: "終了", no_show: "不在" }[t.state] || t.state}）`)) : [li("今日の予約の受付はまだありません")]));
    paused = state.board.paused.includes($("counter").value);
    $("pause").textContent = paused ? "この窓口を再開" : "この窓口を休止";
    $("call_next").disabled = paused;
    const alerts = $("alerts");
    const before = alerts.childElementCount;
    alerts.replaceChildren(...state.calls.map((c) => {
      const box = document.createElement("div"); box.className = "alert"; box.setAttribute("role", "alert");
      const text = document.createElement("span");
      // Staff know a terminal by where it stands ([center] places), its id only when unnamed.
      text.textContent = `係員呼出：${c.place ? `${c.place}（${c.terminal}）` : `端末 ${c.terminal}`}の方が「${SCREEN[c.screen] || "手続き"}」の画面でお待ちです${c.repeats ? `（${c.repeats + 1}回目の呼出）` : ""}`;
      const go = document.createElement("button"); go.className = "primary"; go.textContent = "向かいます";
      go.addEventListener("click", () => post("answer_call", { call: c.id }));
      box.append(text, go); return box;
    }));
    if (state.calls.length > before || state.calls.some((c) => c.repeats > 0)) beep();
    renderShelter();
    renderNotices();
  }

  const KIND = { water: "給水", food: "食事", bath: "入浴", general: "お知らせ" };
  function renderNotices() {
    const list = state.notices || [];
    $("notices").replaceChildren(...(list.length ? list.map((n) => {
      const e = li(`${KIND[n.kind] || n.kind}：${n.ja}${n.source === "city" ? "（市役所から・署名済み）" : ""}`);
      if (n.source === "staff") {
        const off = document.createElement("button"); off.textContent = "取り下げる";
        off.addEventListener("click", async () => {
          const data = await post("notice_withdraw", { notice: n.id });
          $("notice-message").textContent = data.ok ? "取り下げました。" : `取り下げられませんでした。${why(data, "")}`;
        });
        e.append(" ", off);
      }
      return e;
    }) : [li("出ているお知らせはありません")]));
  }
  $("notice-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const hours = f.elements.hours.value ? parseInt(f.elements.hours.value, 10) : null;
    const data = await post("notice_post", { kind: f.elements.kind.value, ja: f.elements.ja.value, en: f.elements.en.value || null, hours });
    $("notice-message").textContent = data.ok ? "呼出表示に出しました。" : `出せませんでした。${why(data, "")}`;
    if (data.ok) f.reset();
  });

  async function refresh() {
    const r = await fetch("/api/console", { cache: "no-store" });
    if (r.status === 403) { location.reload(); return; }
    if (r.ok) { state = await r.json(); render(); }
  }

  const NEED = { medical: "医療", allergy: "アレルギー", care: "介護", language: "言語", pets: "ペット" };
  function renderShelter() {
    const s = state.shelter;
    $("occupancy").textContent = `（在所 ${s.occupancy}人・退所 ${s.checked_out}人）`;
    $("households").replaceChildren(...s.households.map((h) => {
      const e = li(`${h.code} — ${h.members}人${h.needs.length ? "（" + h.needs.map((n) => NEED[n]).join("・") + "）" : ""}`);
      const out = document.createElement("button"); out.textContent = "退所";
      out.addEventListener("click", () => shelterPost("shelter_out", { code: h.code }));
      e.append(" ", out); return e;
    }));
  }
  async function shelterPost(action, body) {
    const data = await post(action, body);
    $("shelter-message").textContent = data.ok
      ? (action === "shelter_in" ? `入所を記録しました：${data.result.code}（${data.result.members}人）` : `退所を記録しました：${data.result.code}`)
      : `記録できませんでした。${why(data, "")}`;
  }
  $("shelter-in").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = ev.target, ages = {};
    for (const a of ["infant", "child", "adult", "senior"]) ages[a] = parseInt(f.elements[a].value || "0", 10);
    const members = Object.values(ages).reduce((x, y) => x + y, 0);
    const needs = [...f.querySelectorAll('input[name="need"]:checked')].map((c) => c.value);
    shelterPost("shelter_in", { members, ages, needs, name: f.elements.name.value || null });
    f.reset();
  });
  $("shelter-out").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const who = ev.target.elements.who.value.trim();
    shelterPost("shelter_out", /^S-[0-9A-Fa-f]{6}$/.test(who) ? { code: who } : { name: who });
    ev.target.reset();
  });

  $("call_next").addEventListener("click", () => post("call_next", {}));
  for (const a of ["recall", "start", "end", "no_show"]) {
    $(a).addEventListener("click", () => { const t = mine(); if (t) post(a, { ticket: t.label }); else $("message").textContent = "この窓口で呼出中の番号がありません。先に「次の方を呼ぶ」を押してください。"; });
  }
  $("transfer").addEventListener("click", () => {
    const t = mine(); if (!t) return;
    const [kind, value] = $("to").value.split(":");
    post("transfer", kind === "counter" ? { ticket: t.label, to_counter: value } : { ticket: t.label, to_service: value });
  });
  $("pause").addEventListener("click", () => post("pause", { paused: !paused }));
  $("counter").addEventListener("change", render);
  $("logout").addEventListener("click", async () => {
    await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": csrf } }); location.reload();
  });
  // Booking slots live at central: listed and changed through the host's online requests.
  const TOPIC = { welfare: "福祉", child_care: "子育て", tax: "税", care: "介護", general: "一般" };
  const SLOT_ERR = { offline: "市役所につながっていません。つながってから、もう一度お試しください。", slot_past: "過ぎた時刻には開けません。", too_far: "1年より先には開けません。", bad_start: "日付と時刻を確かめてください。", bad_minutes: "時間は5〜240分です。", bad_capacity: "人数は1〜50人です。", unknown_slot: "その枠は見つかりません。", unknown_topic: "相談の種類を確かめてください。" };
  const slotDate = $("slot-date");
  slotDate.value = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  async function slotCall(path, body) {
    const r = await fetch(path, body === undefined ? { cache: "no-store" } : {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body) });
    if (r.status === 403) { location.reload(); return {}; }
    const data = await r.json().catch(() => ({}));
    // A failed read says so once, in the list; only a failed change speaks in the message line.
    if (!data.ok && body !== undefined) $("slot-message").textContent = SLOT_ERR[data.error] || `できませんでした（${r.status}）。`;
    return data;
  }
  async function loadSlots() {
    const data = await slotCall(`/api/slots?date=${encodeURIComponent(slotDate.value)}`);
    if (!data.ok) { $("slots").replaceChildren(li(data.error === "offline" ? "市役所とつながっていないため、いまは予約表を見られません。つながると自動で表示します。" : "予約表を読めませんでした")); return; }
    const slots = data.result.slots;
    $("slots").replaceChildren(...(slots.length ? slots.map((s) => {
      const e = li(`${s.start.slice(11)} ${TOPIC[s.topic] || s.topic} ${s.minutes}分 — 予約 ${s.booked}/${s.capacity}${s.open ? "" : "（締切）"}`);
      const b = document.createElement("button");
      if (s.open) {
        b.textContent = "締め切る";
        b.addEventListener("click", async () => { const d = await slotCall("/api/slots/close", { slot: s.id }); if (d.ok) { $("slot-message").textContent = `締め切りました${d.result.slot.booked ? `（予約 ${d.result.slot.booked}人はそのまま）` : ""}。`; loadSlots(); } });
      } else {
        b.textContent = "再開（1人分）";
        b.addEventListener("click", async () => { const d = await slotCall("/api/slots/open", { topic: s.topic, start: s.start, minutes: s.minutes, capacity: s.booked + 1 }); if (d.ok) { $("slot-message").textContent = "再開しました。"; loadSlots(); } });
      }
      e.append(" ", b); return e;
    }) : [li("この日の枠はありません")]));
  }
  slotDate.addEventListener("change", loadSlots);
  $("slot-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const d = await slotCall("/api/slots/open", { topic: f.elements.topic.value, start: `${slotDate.value}T${f.elements.time.value}`, minutes: parseInt(f.elements.minutes.value, 10), capacity: parseInt(f.elements.capacity.value, 10) });
    if (d.ok) { $("slot-message").textContent = `枠を開きました：${d.result.slot.start.replace("T", " ")} ${TOPIC[d.result.slot.topic]}（${d.result.slot.capacity}人）。キオスクの予約画面に出ます。`; loadSlots(); }
  });
  loadSlots();

  // A booking slip: what central decided for it, and a reprint on this terminal's roll.
  const BOOKING = { pending: "まだ決まっていません（仮予約）。市役所とつながると決まります。", confirmed: "確定しました", moved: "別の時間に変わりました", callback: "折り返しお電話する予約になりました（枠がありませんでした）" };
  const BOOKING_ERR = { ...SLOT_ERR, bad_reference: "番号を確かめてください。", not_yours: "このセンターの予約ではありません。", pending: "まだ決まっていないため、再発行できません（仮予約のままです）。", printer: "プリンターで印刷できませんでした。用紙を確かめてください。", no_printer: "この端末にはプリンターがありません。" };
  $("booking-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const action = ev.submitter && ev.submitter.name === "reprint" ? "reprint" : "lookup";
    const r = await fetch(`/api/bookings/${action}`, { method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify({ reference: ev.target.elements.reference.value }) });
    const d = await r.json().catch(() => ({}));
    if (!d.ok) { $("booking-message").textContent = BOOKING_ERR[d.error] || ERR[d.error] || `できませんでした（${r.status}）。`; return; }
    const when = d.result.start ? `：${d.result.start.replace("T", " ")}` : "";
    $("booking-message").textContent = `${BOOKING[d.result.outcome] || d.result.outcome}${when}${action === "reprint" ? "。予約票を印刷しました。" : ""}`;
  });

  async function loadConflicts() {
    const r = await fetch("/api/bookings/conflicts", { cache: "no-store" });
    const d = await r.json().catch(() => ({}));
    if (!d.ok) { $("conflicts").replaceChildren(li(d.error === "offline" ? "（市役所とつながってから表示します）" : "読めませんでした")); return; }
    const list = d.result.conflicts;
    $("conflicts").replaceChildren(...(list.length ? list.map((c) => li(c.outcome === "moved"
      ? `${c.reference}：${TOPIC[c.topic] || c.topic} — ${c.start.replace("T", " ")} に変わりました（予約票を再発行してください）`
      : `${c.reference}：${TOPIC[c.topic] || c.topic} — 枠がなく、折り返しお電話します`)) : [li("ありません")]));
  }
  loadConflicts();
  setInterval(loadConflicts, 30000);

  refresh();
  setInterval(refresh, 1000);
})();
