// The specialist console: the queue, accepting a request, the WebRTC call, chat, hang-up.
// Media and chat go peer to peer (chat on the data channel); the server only relays SDP.
// window.consult exposes counters the tests read (frames decoded, chat lines, state).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    call: null, pc: null, dc: null, local: null, frames: 0, chat: [], phase: "queue",
    acceptedAt: 0, firstFrameAt: 0, endedBy: "", pollTimer: null, callTimer: null, printResults: [], timing: {},
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

  function renderQueue(data) {
    const body = $("queue").querySelector("tbody");
    body.textContent = "";
    const mayAccept = data.may_accept;
    for (const r of data.requests) {
      const tr = document.createElement("tr");
      tr.dataset.id = r.id;
      for (const v of [r.topic, r.center, r.language, formatWait(r.waiting_s)]) {
        const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
      }
      const td = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button"; b.className = "accept"; b.textContent = "受ける Accept";
      b.disabled = !mayAccept;
      b.addEventListener("click", () => accept(r.id, r.topic));
      td.appendChild(b); tr.appendChild(td); body.appendChild(tr);
    }
    $("queue-empty").hidden = data.requests.length > 0;
  }

  function formatWait(s) { return s < 60 ? s + " 秒 s" : Math.floor(s / 60) + " 分 min"; }

  async function pollQueue() {
    if (state.phase !== "queue") return;
    const data = await api("GET", "/api/queue");
    if (data.status === 401) { location.href = "/login"; return; }
    if (data.ok) renderQueue(data);
  }

  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 3000); // host candidates on one LAN come at once; never wait forever
    });
  }

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
    state.frames = 0; state.firstFrameAt = 0; state.chat = []; state.endedBy = "";
    $("queue-panel").hidden = true; $("call-panel").hidden = false;
    $("call-topic").textContent = topic; $("chat-log").textContent = "";
    $("call-state").textContent = "接続中… Connecting…";
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
      state.local = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 }, audio: true });
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

  function addChat(text, mine) {
    state.chat.push({ text, mine });
    const li = document.createElement("li");
    li.className = mine ? "mine" : "theirs";
    li.textContent = (mine ? "職員: " : "相談者: ") + text;
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
    const got = await api("POST", "/api/handover/" + id, { topic });
    if (!got.ok) {
      $("call-state").textContent = got.reason === "unknown_topic" ?
        "同じ分野には取次げません。 Choose another topic." : "取次げませんでした: " + got.reason;
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
    if (state.pc) { state.pc.close(); state.pc = null; }
    if (state.local) { for (const t of state.local.getTracks()) t.stop(); state.local = null; }
    state.dc = null;
    showForm(null);
    $("remote").srcObject = null; $("self").srcObject = null;
    $("call-panel").hidden = true; $("queue-panel").hidden = false;
    say(by === "handover" ? "取次ぎました。 Handed over." : by === "terminal" ? "相談者が通話を終了しました。 The resident ended the call." :
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
  $("logout").addEventListener("click", async () => { await api("POST", "/logout", {}); location.href = "/login"; });
  state.pollTimer = setInterval(pollQueue, 1000);
  pollQueue();
})();
