// The specialist console: the queue, accepting a request, the WebRTC call, chat, hang-up.
// Media and chat go peer to peer (chat on the data channel); the server only relays SDP.
// With a Janus (rooms, data-rooms="yes"): every party publishes once to the call's VideoRoom and
// receives each other party's feed (one peer connection each), through the console's /api/room/
// routes; the holder invites a role, staff with that role join from their invitations list.
// window.consult exposes counters the tests read (frames decoded, chat lines, state).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    call: null, pc: null, dc: null, local: null, frames: 0, chat: [], phase: "queue",
    acceptedAt: 0, firstFrameAt: 0, endedBy: "", pollTimer: null, callTimer: null, printResults: [], timing: {},
    room: null, rooms: false, holder: true, invitations: [], roomTiming: {},
  };
  window.consult = state;

  async function api(method, path, body) {
    const init = { method, headers: {}, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let data = {};
    try { data = await res.json(); } catch (e) { data = { ok: false, reason: "bad_reply" }; }
    data.status = res.status;
    return data;
  }

  function say(text) { $("status").textContent = text; }

  // Staff words for ids (topics, roles, languages), from the page's JSON block; an id not
  // named there is shown as itself.
  const words = JSON.parse(($("words") || { textContent: "{}" }).textContent || "{}");
  const word = (table, id) => ((words[table] || {})[id]) || id;

  function renderQueue(data) {
    const body = $("queue").querySelector("tbody");
    body.textContent = "";
    const mayAccept = data.may_accept;
    for (const r of data.requests) {
      const tr = document.createElement("tr");
      tr.dataset.id = r.id;
      for (const v of [word("topics", r.topic), r.center, word("languages", r.language)]) {
        const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      }
      const [ja, en] = formatWait(r.waiting_s);
      const wait = document.createElement("td");
      wait.className = "wait";
      wait.append(ja + " ", english(en));
      tr.appendChild(wait);
      const td = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button"; b.className = "accept"; b.textContent = "受ける Accept";
      b.disabled = !mayAccept;
      b.addEventListener("click", () => accept(r.id, r.topic));
      td.appendChild(b); tr.appendChild(td); body.appendChild(tr);
    }
    $("queue-empty").hidden = data.requests.length > 0;
  }

  // 「待ち時間 1秒」 and "waiting 1 second": each language with its own units, never mixed.
  function formatWait(s) {
    const plural = (n, unit) => n + " " + unit + (n === 1 ? "" : "s");
    if (s < 60) return ["待ち時間 " + s + "秒", "waiting " + plural(s, "second")];
    const m = Math.floor(s / 60);
    if (m < 60) return ["待ち時間 " + m + "分", "waiting " + plural(m, "minute")];
    const h = Math.floor(m / 60), rest = m % 60;
    return ["待ち時間 " + h + "時間" + (rest ? rest + "分" : ""),
      "waiting " + plural(h, "hour") + (rest ? " " + plural(rest, "minute") : "")];
  }
  state.formatWait = formatWait;

  // English beside the Japanese, marked as such (smaller, read by screen readers in English).
  function english(text) {
    const span = document.createElement("span");
    span.lang = "en"; span.textContent = text;
    return span;
  }

  // How a party of a room is named on this page: 「田中（担当）」 from the feed's "role|name",
  // the resident 「相談者（<center>）」.
  function partyLabel(display) {
    if (display === "terminal") return "相談者（" + (state.center || "") + "）";
    const [role, name] = String(display).split("|");
    const short = word("role_short", role || "");
    return name ? name + "（" + short + "）" : short;
  }
  state.partyLabel = partyLabel;

  async function pollQueue() {
    if (state.phase !== "queue") return;
    const data = await api("GET", "/api/queue");
    if (data.status === 401) { location.href = "/login"; return; }
    if (data.ok) renderQueue(data);
    if (state.rooms) {
      const inv = await api("GET", "/api/invitations");
      if (inv.ok && state.phase === "queue") renderInvitations(inv.invitations);
    }
  }

  // Calls in progress this account's roles are invited into (a second specialist, an interpreter).
  function renderInvitations(list) {
    const key = JSON.stringify(list.map((r) => [r.id, r.role]));
    if (key === state.invitationsKey) return; // a row being tapped is not replaced under the finger
    state.invitationsKey = key;
    state.invitations = list;
    const body = $("invites").querySelector("tbody");
    body.textContent = "";
    for (const r of list) {
      const tr = document.createElement("tr");
      tr.dataset.id = r.id;
      for (const v of [word("topics", r.topic), r.center, word("languages", r.language), word("roles", r.role)]) {
        const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      }
      const td = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button"; b.className = "join"; b.textContent = "参加 Join";
      b.addEventListener("click", () => join(r.id, r.topic, r.role));
      td.appendChild(b); tr.appendChild(td); body.appendChild(tr);
    }
    $("invites-empty").hidden = list.length > 0;
  }

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 3000); // host candidates on one LAN come at once; never wait forever
    });
  }

  // The specialist's camera: 25 frames a second, as the terminal's (a face talking looks the same
  // as at 30; the terminal decodes a sixth fewer frames: its CPU on a Pi-class board).
  const CAMERA = { width: 640, height: 480, frameRate: { ideal: 25, max: 25 } };

  async function accept(id, topic) {
    state.phase = "accepting";
    const mark = (k) => { state.timing[k] = performance.timeOrigin + performance.now(); };
    state.timing = {};
    mark("click");
    const got = await api("POST", "/api/accept/" + id, {});
    mark("accepted");
    if (!got.ok) {
      state.phase = "queue";
      say(got.reason === "already_taken" ? "他の職員が受けました。 Someone else took it." :
          got.reason === "role_may_not_accept" ? "この役割では受けられません。 Your role cannot accept." :
          "受けられませんでした: " + got.reason);
      return;
    }
    state.call = id; state.acceptedAt = performance.timeOrigin + performance.now();
    openCallPanel(topic, true, got.language, got.center);
    showNote(got.note || "");
    if (got.room) { await roomCall(id, got.ice_servers, true); return; }
    // Only the servers the console is configured with (the city's TURN); by default none.
    const pc = new RTCPeerConnection({ iceServers: Array.isArray(got.ice_servers) ? got.ice_servers : [] });
    state.pc = pc;
    pc.ontrack = (ev) => {
      if (ev.track.kind === "video") { $("remote").srcObject = ev.streams[0] || new MediaStream([ev.track]); countFrames(); }
    };
    pc.ondatachannel = (ev) => { state.dc = ev.channel; ev.channel.onmessage = onMessage; };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") { state.phase = "call"; $("call-state").textContent = "通話中 Connected"; }
      if (pc.connectionState === "failed" && state.call === id) {
        api("POST", "/api/hangup/" + id, { outcome: "dropped" }); // the terminal may be gone
        end("network");
      }
    };
    try {
      state.local = await navigator.mediaDevices.getUserMedia({ video: CAMERA, audio: true });
      $("self").srcObject = state.local;
      mark("media");
      await pc.setRemoteDescription({ type: "offer", sdp: got.offer });
      for (const t of state.local.getTracks()) pc.addTrack(t, state.local);
      await pc.setLocalDescription(await pc.createAnswer());
      mark("answer");
      await gathered(pc);
      mark("gathered");
      const sent = await api("POST", "/api/answer/" + id, { sdp: pc.localDescription.sdp });
      mark("posted");
      if (!sent.ok) { end(sent.reason === "call_ended" ? "terminal" : "error"); return; }
    } catch (e) {
      console.error("call setup failed", e.name);
      await hangup("dropped");
      return;
    }
    state.callTimer = setInterval(watchCall, 500);
  }

  // 申し送り from the previous taker: shown as text, kept in this page only, gone at the end.
  function showNote(text) {
    $("received-note").textContent = text;
    $("note-panel").hidden = !text;
  }

  function openCallPanel(topic, holder, language, center) {
    state.frames = 0; state.firstFrameAt = 0; state.chat = []; state.endedBy = "";
    state.holder = holder; state.language = language || ""; state.center = center || "";
    $("queue-panel").hidden = true; $("call-panel").hidden = false;
    $("call-topic").textContent = word("topics", topic); $("chat-log").textContent = "";
    // What the resident reads, so staff know what to write in (a code not named: as itself).
    const line = (table, fallback) => (words[table] || {})[state.language] || fallback + state.language;
    $("call-language-ja").textContent = line("language_line", "相談者の言語：");
    $("call-language-en").textContent = line("language_line_en", "Resident's language: ");
    // Whose the big picture is: the resident, at their center.
    const label = $("remote-label");
    label.textContent = partyLabel("terminal") + " ";
    label.appendChild(english("Resident"));
    $("call-state").textContent = "接続中… Connecting…";
    for (const id of ["print-form", "handover-box", "end-box", "invite-box"]) {
      if ($(id)) $(id).hidden = !holder;
    }
    if ($("leave")) $("leave").hidden = holder;
    if ($("invite-status")) $("invite-status").textContent = "";
  }

  // --- a call in a VideoRoom (Janus) ------------------------------------------------------
  async function join(id, topic, role) {
    state.phase = "accepting";
    const got = await api("POST", "/api/join/" + id, { role });
    if (!got.ok) {
      state.phase = "queue";
      say(got.reason === "role_not_invited" ? "この役割では参加できません。 Your role was not invited." :
          "参加できませんでした: " + got.reason);
      return;
    }
    state.call = id; state.acceptedAt = performance.timeOrigin + performance.now();
    state.invitationsKey = "";
    openCallPanel(topic, false, got.language, got.center);
    await roomCall(id, got.ice_servers, false);
  }

  // When each step of joining a room happened (ms since the join; the benchmark prints them).
  function markRoom(step) {
    state.roomTiming[step] = Math.round(performance.timeOrigin + performance.now() - state.acceptedAt);
  }

  async function roomCall(id, iceServers, holder) {
    const ice = Array.isArray(iceServers) ? iceServers : [];
    state.roomTiming = {};
    state.room = { id, ice, subs: new Map(), busy: false, audio: {} };
    const pc = new RTCPeerConnection({ iceServers: ice });
    state.pc = pc;
    // Our chat channel: Janus relays what we send on it to every other party.
    state.dc = pc.createDataChannel("chat");
    // ICE and DTLS of our publisher, timed: a slow join says which of them waited
    pc.oniceconnectionstatechange = () => markRoom("pub_ice_" + pc.iceConnectionState);
    pc.onconnectionstatechange = () => {
      markRoom("pub_" + pc.connectionState);
      if (pc.connectionState === "connected" && state.pc === pc) {
        state.phase = "call"; $("call-state").textContent = "通話中 Connected";
      }
      if (pc.connectionState === "failed" && state.call === id) {
        if (state.holder) api("POST", "/api/hangup/" + id, { outcome: "dropped" });
        end("network");
      }
    };
    // Receive the others while our own camera starts and publishes: a newcomer sees the
    // resident sooner (the two do not depend on each other).
    state.callTimer = setInterval(watchRoom, 200);
    watchRoom();
    try {
      // Invited staff appear small at the terminal: a smaller picture costs the terminal less.
      const video = holder ? CAMERA : { width: 320, height: 240, frameRate: { ideal: 15, max: 15 } };
      state.local = await navigator.mediaDevices.getUserMedia({ video, audio: true });
      markRoom("camera");
      $("self").srcObject = state.local;
      for (const t of state.local.getTracks()) pc.addTrack(t, state.local);
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      markRoom("offer");
      const got = await api("POST", "/api/room/" + id + "/publish", { sdp: pc.localDescription.sdp });
      markRoom("published");
      if (!got.ok) { end(got.reason === "call_ended" ? "terminal" : "error"); return; }
      await pc.setRemoteDescription({ type: "answer", sdp: got.answer });
    } catch (e) {
      console.error("room setup failed", e.name);
      if (holder) await hangup("dropped"); else end("error");
    }
  }

  async function watchRoom() {
    const room = state.room;
    if (!state.call || !room || room.busy) return;
    room.busy = true;
    try {
      const data = await api("GET", "/api/room/" + state.call);
      if (state.room !== room) return;
      if (data.ok && data.state !== "accepted") { end(data.state === "handover" ? "handover" : data.ended_by || "terminal"); return; }
      if (data.status === 403 || data.status === 404) { end("console"); return; }
      if (!data.ok) return;
      const ids = new Set(data.feeds.map((f) => f.id));
      for (const feed of [...room.subs.keys()]) if (!ids.has(feed)) dropFeed(feed);
      // The resident first, and every newcomer at once: each waits on its own round trips.
      const fresh = data.feeds.filter((f) => !room.subs.has(f.id))
        .sort((a, b) => (b.display === "terminal") - (a.display === "terminal"));
      await Promise.all(fresh.map((f) => subscribeFeed(room, f)));
      // Once someone is received, look every second (joins and leaves, the call's end): every
      // look costs the console server a store read and a Janus request, for each page open.
      if (room.subs.size && !room.slow) {
        room.slow = true; clearInterval(state.callTimer); state.callTimer = setInterval(watchRoom, 1000);
      }
    } finally { room.busy = false; }
  }

  async function subscribeFeed(room, f) {
    const tag = f.display === "terminal" ? "terminal" : "staff";
    markRoom(tag + "_subscribe");
    const got = await api("POST", "/api/room/" + room.id + "/subscribe", { feed: f.id });
    markRoom(tag + "_offer" + (got.ok ? "" : "_" + got.reason));
    if (!got.ok || state.room !== room) return;
    const pc = new RTCPeerConnection({ iceServers: room.ice });
    const terminal = f.display === "terminal";
    const entry = { pc, display: f.display, frames: 0, video: null };
    room.subs.set(f.id, entry);
    pc.oniceconnectionstatechange = () => markRoom(tag + "_ice_" + pc.iceConnectionState);
    pc.onconnectionstatechange = () => markRoom(tag + "_" + pc.connectionState);
    pc.ontrack = (ev) => {
      if (ev.track.kind !== "video") return;
      if (terminal) { $("remote").srcObject = new MediaStream([ev.track]); countFrames(); return; }
      entry.video = tile(f);
      entry.video.srcObject = new MediaStream([ev.track]);
      countTile(entry);
    };
    pc.ondatachannel = (ev) => { ev.channel.onmessage = (m) => onRoomMessage(m, terminal, f.display); };
    try {
      await pc.setRemoteDescription({ type: "offer", sdp: got.offer });
      // Janus relays a party's chat only once this subscriber has opened a channel of its own.
      pc.createDataChannel("ready").onmessage = (m) => onRoomMessage(m, terminal, f.display);
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered(pc);
      const started = await api("POST", "/api/room/" + room.id + "/start",
        { subscription: got.subscription, sdp: pc.localDescription.sdp });
      markRoom(tag + "_started" + (started.ok ? "" : "_" + started.reason));
      if (!started.ok) dropFeed(f.id);
    } catch (e) {
      console.error("subscription failed", e.name);
      dropFeed(f.id);
    }
  }

  // Another staff member in the call: a small picture captioned with their name and role in
  // Japanese (「田中（担当）」), the role in English beside it.
  function tile(f) {
    const [role] = String(f.display).split("|");
    const fig = document.createElement("figure");
    fig.className = "tile"; fig.dataset.feed = f.id;
    const v = document.createElement("video");
    v.autoplay = true; v.playsInline = true; v.muted = true;
    const cap = document.createElement("figcaption");
    cap.id = "tile-label-" + f.id;
    const en = word("roles", role || "").replace(/^[^ ]* /, "");
    cap.append(partyLabel(f.display) + " ", english(en));
    v.setAttribute("aria-labelledby", cap.id);
    fig.appendChild(cap); fig.appendChild(v); $("others").appendChild(fig);
    return v;
  }

  function countTile(entry) {
    const v = entry.video;
    const tick = () => {
      if (!state.room || entry.video !== v) return;
      entry.frames += 1;
      v.requestVideoFrameCallback(tick);
    };
    v.requestVideoFrameCallback(tick);
  }

  function dropFeed(feed) {
    const room = state.room;
    const entry = room && room.subs.get(feed);
    if (!entry) return;
    room.subs.delete(feed);
    entry.pc.close();
    if (entry.video) { entry.video.srcObject = null; entry.video.parentElement.remove(); entry.video = null; }
  }

  function onRoomMessage(ev, terminal, display) {
    if (terminal) { onMessage(ev); return; }
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (m.type === "chat" && typeof m.text === "string") addChat(m.text.slice(0, 500), false, partyLabel(display) + ": ");
  }

  // Frames decoded per party (tests and the benchmark read them), and what each party hears.
  state.partyFrames = () => {
    const out = {};
    if (state.room) for (const e of state.room.subs.values()) out[e.display] = e.display === "terminal" ? state.frames : e.frames;
    return out;
  };
  state.partyAudio = async () => {
    const out = {};
    if (!state.room) return out;
    for (const e of state.room.subs.values()) {
      let bytes = 0;
      (await e.pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "audio") bytes += r.bytesReceived || 0; });
      out[e.display] = bytes;
    }
    return out;
  };

  async function invite(role) {
    if (!state.call || !state.holder) return;
    const got = await api("POST", "/api/invite/" + state.call, { role });
    $("invite-status").textContent = got.ok ? "招待しました（" + word("roles", role) + "）。 Invited." : "招待できませんでした: " + got.reason;
  }
  state.invite = invite;

  async function leave() {
    const id = state.call;
    if (!id) return;
    await api("POST", "/api/room/" + id + "/leave", {});
    end("left");
  }
  state.leave = leave;

  let generation = 0; // a callback left pending by an ended call must not count the next one

  function countFrames() {
    const v = $("remote");
    const mine = ++generation;
    const tick = () => {
      if (!state.pc || mine !== generation) return;
      state.frames += 1;
      if (!state.firstFrameAt) state.firstFrameAt = performance.timeOrigin + performance.now();
      v.requestVideoFrameCallback(tick);
    };
    v.requestVideoFrameCallback(tick);
  }

  function onMessage(ev) {
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { return; }
    if (m.type === "chat" && typeof m.text === "string") addChat(m.text.slice(0, 500), false);
    if (m.type === "bye") end("terminal");
    if (m.type === "form" && Array.isArray(m.fields)) showForm(m.fields);
    if (m.type === "form_end") showForm(null);
    if (m.type === "print_result") {
      state.printResults.push(m);
      $("print-status").textContent = m.ok ? "端末で印刷しました。 Printed at the terminal." :
        "端末で印刷できませんでした（" + String(m.reason || "").slice(0, 40) + "）。 Not printed.";
    }
  }

  // The resident's form, shown only while they share it; never stored, gone with the call.
  function showForm(fields) {
    const list = $("shared-form");
    list.textContent = "";
    state.sharedForm = fields;
    $("shared-panel").hidden = !fields;
    for (const f of fields || []) {
      if (!Array.isArray(f) || f.length !== 2) continue;
      const dt = document.createElement("dt"); dt.textContent = String(f[0]).slice(0, 80);
      const dd = document.createElement("dd"); dd.textContent = String(f[1]).slice(0, 300);
      list.appendChild(dt); list.appendChild(dd);
    }
  }

  function addChat(text, mine, who) {
    state.chat.push({ text, mine, who: who || "" });
    const li = document.createElement("li");
    li.className = mine ? "mine" : "theirs";
    li.textContent = (who || (mine ? "職員: " : "相談者: ")) + text;
    $("chat-log").appendChild(li);
  }

  function sendChat(text) {
    if (!state.dc || state.dc.readyState !== "open" || !text) return false;
    state.dc.send(JSON.stringify({ type: "chat", text }));
    addChat(text, true);
    return true;
  }
  state.sendChat = sendChat;

  // 印刷して渡す: a short checklist (one item per line: "name | office | what to bring, ..."),
  // printed at the terminal by the kiosk's own printer path.
  function sendPrint(title, lines) {
    if (!state.dc || state.dc.readyState !== "open") return false;
    const items = lines.split("\n").map((l) => l.trim()).filter((l) => l).slice(0, 20).map((l) => {
      const [name, office, docs] = l.split("|").map((p) => (p || "").trim());
      const item = { name, office: office || "", documents: docs ? docs.split(",").map((d) => d.trim()).filter((d) => d) : [] };
      if (/^https:\/\//.test(item.office)) { item.url = item.office; item.office = ""; }
      return item;
    });
    state.dc.send(JSON.stringify({ type: "print", title, items }));
    $("print-status").textContent = "送信しました… Sent…";
    return true;
  }
  state.sendPrint = sendPrint;

  // The resident's audio level as the browser hears it (tests read it to check mute).
  state.audioLevel = async () => {
    if (!state.pc) return -1;
    let level = -1;
    (await state.pc.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "audio" && typeof r.audioLevel === "number") level = r.audioLevel;
    });
    return level;
  };

  async function watchCall() {
    if (state.room) return;
    if (!state.call) return;
    const data = await api("GET", "/api/call/" + state.call);
    if (data.ok && data.state === "ended") end(data.ended_by || "terminal");
  }

  async function hangup(outcome) {
    const id = state.call;
    if (!id) return;
    if (state.dc && state.dc.readyState === "open") state.dc.send(JSON.stringify({ type: "bye" }));
    await api("POST", "/api/hangup/" + id, { outcome: outcome || $("outcome").value });
    end("console");
  }
  state.hangup = hangup;

  // 取次ぎ: the resident goes to another topic's queue; the terminal makes a new offer there.
  async function handover(topic) {
    const id = state.call;
    if (!id) return;
    const note = $("handover-note").value.slice(0, 300);
    const got = await api("POST", "/api/handover/" + id, { topic, note });
    if (!got.ok) {
      $("call-state").textContent = got.reason === "unknown_topic" ?
        "同じ分野には取次げません。 Choose another topic." :
        got.reason === "bad_note" ? "申し送りは300文字までの文章にしてください。 The note must be plain text, 300 characters at most." :
        "取次げませんでした: " + got.reason;
      return;
    }
    if (state.dc && state.dc.readyState === "open") state.dc.send(JSON.stringify({ type: "handover", topic }));
    end("handover");
  }
  state.handover = handover;

  function end(by) {
    if (!state.call) return;
    clearInterval(state.callTimer);
    state.endedBy = by; state.call = null;
    if (state.room) {
      for (const feed of [...state.room.subs.keys()]) dropFeed(feed);
      state.room = null;
    }
    if (state.pc) { state.pc.close(); state.pc = null; }
    if (state.local) { for (const t of state.local.getTracks()) t.stop(); state.local = null; }
    state.dc = null;
    showForm(null);
    showNote("");
    $("handover-note").value = "";
    $("remote").srcObject = null; $("self").srcObject = null;
    $("call-panel").hidden = true; $("queue-panel").hidden = false;
    say(by === "left" ? "通話から退出しました。 You left the call." : by === "handover" ? "取次ぎました。 Handed over." : by === "terminal" ? "相談者が通話を終了しました。 The resident ended the call." :
        by === "network" ? "通信が切れました。 The connection dropped." : "通話を終了しました。 Call ended.");
    state.phase = "queue";
    pollQueue();
  }

  $("chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (sendChat($("chat-text").value.slice(0, 500))) $("chat-text").value = "";
  });
  $("hangup").addEventListener("click", () => hangup());
  $("print-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sendPrint($("print-title").value.slice(0, 80), $("print-items").value);
  });
  $("handover").addEventListener("click", () => handover($("handover-topic").value));
  state.rooms = $("queue").dataset.rooms === "yes";
  if ($("invite")) $("invite").addEventListener("click", () => invite($("invite-role").value));
  if ($("leave")) $("leave").addEventListener("click", () => leave());
  $("logout").addEventListener("click", async () => { await api("POST", "/logout", {}); location.href = "/login"; });
  state.pollTimer = setInterval(pollQueue, 1000);
  pollQueue();
})();
