// The simulator's WhatsApp Web: renders the QR screen, the virtualised chat list and the open
// conversation with the markup shapes of the captures in slice/test/fixtures/whatsapp-web/. The
// state it starts from is the phone's (window.__simBoot, written into x.html by the slice); events
// that the phone must keep (sent messages, linking) go out through window.__simPhoneEvent.
(function () {
  'use strict';
  var boot = window.__simBoot;
  var S = window.__simModules;
  var ROW_H = 72;
  var PAGE = 25;
  var DEVICE_KEY = 'queunir-sim-device';
  var chats = boot.chats.map(function (c) { return Object.assign({ unread: 0, pinned: false, muted: false, archived: false }, c, { messages: c.messages.slice() }); });
  var open = null; // { chat, shown }
  // Which list the side pane shows: the chats, or the Archived ones (WhatsApp's "Archived" entry).
  var view = 'main';
  var shown = [];
  var menu = null; // { chat } while a row's context menu is open
  var broken = {};
  var outbox = [];

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }
  function two(n) { return (n < 10 ? '0' : '') + n; }
  // en-US, the browser language the slice pins: "10:42 AM" and "11/25/2026".
  function clock(d) {
    var h = d.getHours();
    var ap = h >= 12 ? 'PM' : 'AM';
    h = h % 12; if (h === 0) h = 12;
    return h + ':' + two(d.getMinutes()) + ' ' + ap;
  }
  function date(d) { return (d.getMonth() + 1) + '/' + d.getDate() + '/' + d.getFullYear(); }
  function last(c) { return c.messages[c.messages.length - 1] || null; }
  function activity(c) { var m = last(c); return m ? m.at : (c.createdAt || ''); }
  // As WhatsApp orders the list: pinned chats on top, then the newest activity.
  function sortChats() {
    chats.sort(function (a, b) { return (b.pinned ? 1 : 0) - (a.pinned ? 1 : 0) || activity(b).localeCompare(activity(a)); });
  }
  function listed() { return chats.filter(function (c) { return !!c.archived === (view === 'archived'); }); }
  function tellState(c) { tell({ type: 'chat-state', chatJid: c.jid, pinned: !!c.pinned, muted: !!c.muted, archived: !!c.archived }); }
  function flush() {
    if (typeof window.__simPhoneEvent !== 'function') return;
    while (outbox.length) {
      var ev = outbox.shift();
      try { window.__simPhoneEvent(ev); } catch (e) { outbox.unshift(ev); return; }
    }
  }
  setInterval(flush, 200);
  function tell(ev) { outbox.push(ev); flush(); }

  // ---- QR screen -------------------------------------------------------------------------
  function renderQr() {
    var ref = S.Conn.ref;
    document.body.innerHTML =
      '<div id="app"><div class="landing-wrapper"><div class="landing-main">' +
      '<div class="_akau" data-ref="' + esc(ref) + '"><canvas aria-label="Scan this QR code to link a device!" role="img" width="264" height="264"></canvas></div>' +
      '<div><span>Log in with phone number</span></div></div></div></div>';
    var canvas = document.querySelector('canvas');
    var ctx = canvas.getContext('2d');
    var h = 0;
    for (var i = 0; i < ref.length; i++) h = (h * 31 + ref.charCodeAt(i)) >>> 0;
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 264, 264); ctx.fillStyle = '#000';
    for (var y = 0; y < 33; y++) for (var x = 0; x < 33; x++) {
      h = (h * 1103515245 + 12345) >>> 0;
      if (h & 0x10000) ctx.fillRect(x * 8, y * 8, 8, 8);
    }
  }
  S.Conn.on('change:ref', function () { if (S.Socket.state === 'UNPAIRED' || S.Socket.state === 'UNPAIRED_IDLE') renderQr(); });

  // ---- the app: chat list + conversation ---------------------------------------------------
  function renderApp() {
    sortChats();
    document.body.innerHTML =
      '<div id="app"><div class="two _aigs" tabindex="-1">' +
      '<div id="side" class="_aigw"><div id="side-holder"></div></div>' +
      '<div id="main-holder"></div></div></div>';
    document.addEventListener('mousedown', onDocMouseDown, true);
    renderSide();
    if (open) renderMain();
  }

  // The side pane: the header (profile, "New chat") and the list, or the Archived list with its
  // back button; the "Archived" entry sits above the chats while any chat is archived.
  function renderSide() {
    var holder = document.getElementById('side-holder');
    if (!holder) return;
    var list = listed();
    var archivedCount = chats.filter(function (c) { return c.archived; }).length;
    var header = view === 'archived'
      ? '<header data-testid="archived-header"><div role="button" aria-label="Back" tabindex="0" id="sim-back" style="width:24px;height:24px"><span data-icon="back"></span></div><h1>Archived</h1></header>'
      : '<header><div title="Profile"><span dir="auto">' + esc(boot.me.name) + '</span></div>' +
        '<div role="button" tabindex="0" title="New chat" aria-label="New chat" id="sim-new-chat-button" style="width:24px;height:24px"><span data-icon="new-chat-outline"></span></div></header>';
    var entry = view === 'main' && archivedCount > 0
      ? '<button aria-label="Archived" data-testid="archived-entry" id="sim-archived-entry" style="display:block;width:100%;height:48px"><span data-icon="archived"></span><span>Archived</span></button>'
      : '';
    holder.innerHTML = header +
      '<div id="pane-side" style="height:760px;overflow-y:auto;position:relative">' + entry +
      '<div aria-label="' + (view === 'archived' ? 'Archived' : 'Chat list') + '" role="grid" aria-rowcount="' + list.length + '" id="chat-grid" style="position:relative;height:' + list.length * ROW_H + 'px"></div></div>';
    document.getElementById('pane-side').addEventListener('scroll', renderRows);
    var back = document.getElementById('sim-back');
    if (back) back.addEventListener('click', function () { view = 'main'; renderSide(); });
    var ae = document.getElementById('sim-archived-entry');
    if (ae) ae.addEventListener('click', function () { view = 'archived'; renderSide(); });
    var nb = document.getElementById('sim-new-chat-button');
    if (nb) nb.addEventListener('click', openNewChat);
    renderRows();
  }

  // ---- a row's context menu (right-click or its chevron), and the mute dialog ------------------
  function closeMenu() {
    menu = null;
    var m = document.getElementById('sim-menu');
    if (m) m.remove();
  }
  function onDocMouseDown(ev) {
    var m = document.getElementById('sim-menu');
    if (m && !m.contains(ev.target)) closeMenu();
  }
  function openMenu(c, x, y) {
    closeMenu();
    menu = { chat: c };
    var items = [];
    items.push(c.archived ? 'Unarchive chat' : 'Archive chat');
    items.push(c.muted ? 'Unmute notifications' : 'Mute notifications');
    // WhatsApp keeps archived chats out of the pinned ones: no pinning from the Archived list.
    if (!c.archived) items.push(c.pinned ? 'Unpin chat' : 'Pin chat');
    items.push(c.unread > 0 ? 'Mark as read' : 'Mark as unread');
    items.push('Delete chat');
    var el = document.createElement('div');
    el.id = 'sim-menu';
    el.setAttribute('role', 'application');
    el.style.cssText = 'position:fixed;z-index:10;background:#fff;left:' + x + 'px;top:' + y + 'px';
    el.innerHTML = '<ul>' + items.map(function (label) {
      return '<li tabindex="-1" role="button" data-animate-dropdown-item="true" aria-label="' + esc(label) + '" style="display:block;height:40px;width:200px"><div>' + esc(label) + '</div></li>';
    }).join('') + '</ul>';
    document.body.appendChild(el);
    Array.prototype.forEach.call(el.querySelectorAll('li'), function (li) {
      li.addEventListener('click', function () { onMenuItem(c, li.getAttribute('aria-label')); });
    });
  }
  function onMenuItem(c, label) {
    closeMenu();
    if (label === 'Pin chat' || label === 'Unpin chat') c.pinned = label === 'Pin chat';
    else if (label === 'Archive chat') { c.archived = true; c.pinned = false; }
    else if (label === 'Unarchive chat') c.archived = false;
    else if (label === 'Unmute notifications') c.muted = false;
    else if (label === 'Mute notifications') return openMuteDialog(c);
    else return;
    tellState(c);
    sortChats();
    renderSide();
  }
  function openMuteDialog(c) {
    var el = document.createElement('div');
    el.id = 'sim-dialog';
    el.innerHTML = '<div role="dialog" data-animate-modal-popup="true" style="position:fixed;z-index:11;left:100px;top:100px;background:#fff">' +
      '<h1>Mute notifications</h1><div>Other members will not see that you muted this chat.</div><div role="radiogroup">' +
      ['8 hours', '1 week', 'Always'].map(function (o, i) {
        return '<label style="display:block;height:32px"><input type="radio" name="mute" value="' + esc(o) + '"' + (i === 0 ? ' checked' : '') + '><span>' + esc(o) + '</span></label>';
      }).join('') + '</div><button type="button" style="height:32px">Cancel</button><button type="button" style="height:32px">Mute</button></div>';
    document.body.appendChild(el);
    var buttons = el.querySelectorAll('button');
    buttons[0].addEventListener('click', function () { el.remove(); });
    buttons[1].addEventListener('click', function () {
      el.remove();
      c.muted = true;
      tellState(c);
      renderRows();
    });
  }

  // ---- "New chat": a search box where a phone number shows as a result to click ---------------
  function openNewChat() {
    closeNewChat();
    var el = document.createElement('div');
    el.id = 'sim-new-chat';
    el.setAttribute('data-testid', 'new-chat-drawer');
    el.style.cssText = 'position:fixed;z-index:5;left:0;top:0;width:420px;height:100vh;background:#fff';
    el.innerHTML = '<header><div role="button" aria-label="Back" tabindex="0" style="width:24px;height:24px"><span data-icon="back"></span></div><h1>New chat</h1></header>' +
      '<div contenteditable="true" role="textbox" aria-label="Search name or number" data-tab="3" style="min-height:20px;border:1px solid #ccc"></div>' +
      '<div aria-label="Search results." role="list" id="sim-new-results"></div>';
    document.body.appendChild(el);
    el.querySelector('[aria-label="Back"]').addEventListener('click', closeNewChat);
    var box = el.querySelector('[role="textbox"]');
    box.addEventListener('input', function () { showNumberResult(box.innerText); });
  }
  function closeNewChat() { var el = document.getElementById('sim-new-chat'); if (el) el.remove(); }
  function showNumberResult(text) {
    var list = document.getElementById('sim-new-results');
    if (!list) return;
    var digits = text.replace(/\D/g, '');
    if (digits.length < 8 || digits.length > 15) { list.innerHTML = ''; return; }
    if ((boot.unregisteredNumbers || []).indexOf('+' + digits) >= 0) {
      list.innerHTML = '<div><span>No results found for \'' + esc(text.trim()) + '\'</span></div>';
      return;
    }
    var jid = digits + '@c.us';
    var existing = chats.filter(function (c) { return c.jid === jid; })[0];
    var title = existing ? existing.name : '+' + digits;
    list.innerHTML = '<div role="listitem" style="height:' + ROW_H + 'px"><div role="button" tabindex="0"><span dir="auto" title="' + esc(title) + '">' + esc(title) + '</span>' +
      (existing ? '' : '<div><span>Not in your contacts</span></div>') + '</div></div>';
    list.querySelector('[role="listitem"]').addEventListener('click', function () {
      var c = chats.filter(function (x) { return x.jid === jid; })[0];
      if (!c) {
        c = { jid: jid, name: '+' + digits, isGroup: false, messages: [], unread: 0, pinned: false, muted: false, archived: false, createdAt: new Date().toISOString() };
        chats.push(c);
        tell({ type: 'chat-created', chat: { jid: c.jid, name: c.name, isGroup: false, messages: [], createdAt: c.createdAt } });
      }
      closeNewChat();
      sortChats();
      open = null;
      openChat(c);
      renderSide();
    });
  }

  function rowHtml(c, i) {
    var m = last(c);
    var t = m ? new Date(m.at) : null;
    var preview = m ? (m.recalled ? 'This message was deleted' : m.media && !m.body ? (typeof m.media === 'string' ? m.media : m.media.kind) : m.body) : '';
    if (c.reactionLine && c.reactionLine.after === c.messages.length) preview = c.reactionLine.text;
    var title = broken.chatTitle ? '<span dir="auto" data-t="' + esc(c.name) + '">' + esc(c.name) + '</span>' : '<span dir="auto" title="' + esc(c.name) + '" class="x1iyjqo2">' + esc(c.name) + '</span>';
    return '<div role="row" aria-selected="' + (open && open.chat === c ? 'true' : 'false') + '" style="position:absolute;left:0;right:0;height:' + ROW_H + 'px;transform:translateY(' + i * ROW_H + 'px)">' +
      '<div tabindex="-1" role="gridcell" aria-colindex="2" class="_ak72"><div class="_ak8l">' +
      '<div class="_ak8o">' + title + '</div>' +
      '<div class="_ak8i" data-testid="cell-frame-secondary">' + (t ? esc(clock(t)) : '') + '</div></div>' +
      '<div class="_ak8j"><div class="_ak8k">' + (m && m.fromMe ? ackIconHtml(m.ack) : '') + '<span dir="ltr" ' + (broken.chatTitle ? 'data-t' : 'title') + '="' + esc(preview) + '">' + esc(preview) + '</span></div>' +
      '<div class="_ahlk">' + (c.muted ? '<span data-icon="muted" aria-label="Muted chat"></span>' : '') +
      (c.pinned ? '<span data-icon="pinned2" aria-label="Pinned chat"></span>' : '') +
      (c.unread > 0 ? '<span aria-label="' + c.unread + ' unread message' + (c.unread > 1 ? 's' : '') + '" class="x1rg5ohu">' + c.unread + '</span>' : '') +
      '<button aria-label="Open chat context menu" class="_ahlk-menu" style="width:20px;height:20px"><span data-icon="down"></span></button></div>' +
      '</div></div></div>';
  }

  function renderRows() {
    var pane = document.getElementById('pane-side');
    var grid = document.getElementById('chat-grid');
    if (!pane || !grid) return;
    if (broken.chatList) pane.id = 'pane-side-x';
    shown = listed();
    grid.style.height = shown.length * ROW_H + 'px';
    grid.setAttribute('aria-rowcount', String(shown.length));
    var first = Math.max(0, Math.floor(pane.scrollTop / ROW_H) - 2);
    var lastI = Math.min(shown.length, Math.ceil((pane.scrollTop + pane.clientHeight) / ROW_H) + 2);
    var html = '';
    for (var i = first; i < lastI; i++) html += rowHtml(shown[i], i);
    grid.innerHTML = html;
    Array.prototype.forEach.call(grid.children, function (row, k) {
      var c = shown[first + k];
      row.addEventListener('mousedown', function (ev) {
        if (ev.button !== 0 || ev.target.closest('button')) return;
        openChat(c);
      });
      row.addEventListener('contextmenu', function (ev) { ev.preventDefault(); openMenu(c, ev.clientX, ev.clientY); });
      row.querySelector('button[aria-label="Open chat context menu"]').addEventListener('click', function (ev) {
        var b = ev.currentTarget.getBoundingClientRect();
        openMenu(c, b.left, b.bottom);
      });
    });
  }

  // ---- files the other side sent: their bytes come from the phone in pieces -----------------
  // The page turns them into blob: URLs, as WhatsApp Web shows decrypted media; until then (or
  // while the phone "has not downloaded" a file) it shows a blurred thumbnail and a download arrow.
  var THUMB = 'data:image/gif;base64,R0lGODlhAgACAPAAAMzMzAAAACH5BAAAAAAALAAAAAACAAIAAAIChFEAOw==';
  var PIECE = 512 * 1024;
  var blobs = {}; // sha256 → blob: URL
  var loading = {}; // sha256 → Promise
  function loadMedia(md) {
    if (blobs[md.sha256]) return Promise.resolve(blobs[md.sha256]);
    if (loading[md.sha256]) return loading[md.sha256];
    var parts = [];
    function next(off) {
      if (off >= md.size) return Promise.resolve();
      return Promise.resolve(window.__simMediaRead(md.sha256, off, PIECE)).then(function (b64) {
        var bin = atob(b64 || '');
        if (!bin.length) return;
        var u8 = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
        parts.push(u8);
        return next(off + u8.length);
      });
    }
    loading[md.sha256] = next(0).then(function () {
      blobs[md.sha256] = URL.createObjectURL(new Blob(parts, { type: md.mimeType }));
      delete loading[md.sha256];
      return blobs[md.sha256];
    }, function (e) { delete loading[md.sha256]; throw e; });
    return loading[md.sha256];
  }
  function fileMedia(m) { return m.media && typeof m.media === 'object' && m.media.sha256 ? m.media : null; }
  /** The blob: URL when the page has the file; else null, and the file is fetched and the row drawn again. */
  function fullUrl(m) {
    var md = fileMedia(m);
    if (!md || !md.downloaded) return null;
    if (blobs[md.sha256]) return blobs[md.sha256];
    loadMedia(md).then(function () { rerender(m.id); }, function () {});
    return null;
  }
  function mmss(ms) { var s = Math.round((ms || 0) / 1000); return Math.floor(s / 60) + ':' + two(s % 60); }
  function sizeText(n) { return n >= 1048576 ? (Math.round(n / 104857.6) / 10) + ' MB' : n >= 1024 ? Math.round(n / 1024) + ' kB' : n + ' B'; }
  var DOC_WORD = { 'application/pdf': 'PDF', 'text/plain': 'TXT', 'text/csv': 'CSV', 'application/zip': 'ZIP' };
  function docWord(md) {
    var ext = /\.([A-Za-z0-9]{2,5})$/.exec(md.fileName || '');
    return DOC_WORD[md.mimeType] || (ext ? ext[1].toUpperCase() : 'FILE');
  }
  var downloadArrow = function (md) { return '<button class="_ahxt"><span data-icon="media-download"></span><span>' + esc(sizeText(md.size)) + '</span></button>'; };

  /** Markup of a file, location or contact card, shaped as the captures show them. */
  function mediaHtml(m) {
    // A placeholder of the old scenarios: a picture the phone has no file for, so no source at all.
    if (m.media === 'image') return '<div role="button" aria-label="Open picture" style="width:330px;height:248px"><img alt="" width="330" height="248"></div>';
    if (m.media === 'voice') return '<button aria-label="Play voice message"></button><span aria-label="Voice message"></span><div role="slider" aria-valuetext="0:00/0:12"></div>';
    // A placeholder without a file: no download to offer.
    if (m.media === 'document') return '<div role="button" title="file.pdf"><span data-icon="audio-document"></span><span>file.pdf</span></div>';
    var md = m.media;
    if (!md || typeof md !== 'object') return '';
    var d = md.details || {};
    var url = fullUrl(m);
    var w = md.width || d.width || 330, h = md.height || d.height || 248;
    var box = 'style="width:' + w + 'px;height:' + h + 'px"';
    if (md.kind === 'image') {
      return '<div role="button" aria-label="Open picture" ' + box + '>' +
        (url ? '<img alt="" width="' + w + '" height="' + h + '" src="' + url + '">' : '<div class="_ak3u" style="background-image:url(\'' + THUMB + '\')"></div>' + downloadArrow(md)) + '</div>';
    }
    if (md.kind === 'video' && d.gif) {
      return '<div role="button" tabindex="0" aria-label="Play GIF" ' + box + '><div class="_ahn8" style="background-image:url(\'' + THUMB + '\')"></div>' +
        '<div class="_ahmy"><span aria-hidden="true" data-icon="media-gif"></span></div></div>' +
        (url ? '<div class="_ahn7"><video class="x1lliihq" src="' + url + '" type="' + esc(md.mimeType) + '"></video></div>' : downloadArrow(md));
    }
    if (md.kind === 'video') {
      return '<div role="button" aria-label="Play video" ' + box + '>' +
        (url ? '<video src="' + url + '" poster="' + THUMB + '" type="' + esc(md.mimeType) + '"></video>' : '<div class="_ak3u" style="background-image:url(\'' + THUMB + '\')"></div>' + downloadArrow(md)) +
        '<span data-testid="media-duration">' + esc(mmss(md.durationMs || d.durationMs)) + '</span></div>';
    }
    if (md.kind === 'voice') {
      return '<button aria-label="Play voice message"></button><span aria-label="Voice message"></span>' +
        '<div role="slider" aria-valuenow="0" aria-valuemin="0" aria-valuetext="0:00/' + esc(mmss(md.durationMs || d.durationMs)) + '"></div>' +
        '<div aria-hidden="true">' + esc(mmss(md.durationMs || d.durationMs)) + '</div>' +
        (url ? '<audio preload="none" src="' + url + '" type="' + esc(md.mimeType) + '"></audio>' : downloadArrow(md));
    }
    if (md.kind === 'audio') {
      return '<button aria-label="Play audio"></button><div role="slider" aria-valuetext="0:00/' + esc(mmss(md.durationMs || d.durationMs)) + '"></div>' +
        (md.fileName ? '<span dir="auto" data-testid="document-name" title="' + esc(md.fileName) + '">' + esc(md.fileName) + '</span>' : '') +
        '<span data-testid="document-info">' + esc(docWord(md) + ' • ' + sizeText(md.size)) + '</span>' +
        (url ? '<audio preload="none" src="' + url + '" type="' + esc(md.mimeType) + '"></audio>' : downloadArrow(md));
    }
    if (md.kind === 'document') {
      // Its button makes the page offer the file as a download (an <a download> on a blob: URL).
      var name = md.fileName || 'file';
      var pages = d.pages ? ' • ' + d.pages + ' page' + (d.pages > 1 ? 's' : '') : '';
      return '<div role="button" class="_ahy0" data-sim-dl="' + esc(m.id) + '" title="Download &quot;' + esc(name) + '&quot;">' +
        '<span data-icon="document-' + esc(docWord(md).toLowerCase()) + '"></span>' +
        '<span dir="auto" data-testid="document-name" title="' + esc(name) + '">' + esc(name) + '</span>' +
        '<span data-testid="document-info" title="' + esc(docWord(md) + pages + ' • ' + sizeText(md.size)) + '">' + esc(docWord(md) + pages + ' • ' + sizeText(md.size)) + '</span>' +
        '<span data-icon="audio-download"></span></div>';
    }
    if (md.kind === 'sticker') {
      var sw = md.width || d.width || 190, sh = md.height || d.height || 190;
      return '<div role="button" aria-label="Sticker" style="width:' + sw + 'px;height:' + sh + 'px">' +
        (url ? '<img data-testid="sticker" alt="" width="' + sw + '" height="' + sh + '" src="' + url + '">' : '<div class="_ak3u" style="background-image:url(\'' + THUMB + '\')"></div>' + downloadArrow(md)) + '</div>';
    }
    if (md.kind === 'location') {
      var q = encodeURIComponent(String(d.latitude) + ',' + String(d.longitude));
      return '<div role="button" aria-label="Location" style="width:270px;height:200px">' +
        '<a href="https://maps.google.com/maps?q=' + q + '&amp;z=17&amp;hl=en" target="_blank" rel="noopener noreferrer"><span data-icon="location"></span></a>' +
        (d.name ? '<div><span dir="auto">' + esc(d.name) + '</span></div>' : '') + (d.address ? '<div><span dir="auto">' + esc(d.address) + '</span></div>' : '') + '</div>';
    }
    if (md.kind === 'contact') {
      var phones = Array.isArray(d.phones) ? d.phones : [];
      return '<div role="button" aria-label="Contact card: ' + esc(d.name || '') + '"><span data-icon="default-contact-refreshed"></span>' +
        '<span dir="auto" title="' + esc(d.name || '') + '" data-testid="vcard-name">' + esc(d.name || '') + '</span>' +
        phones.map(function (p) { return '<a href="tel:' + esc(String(p).replace(/[^\d+]/g, '')) + '" data-testid="vcard-phone">' + esc(p) + '</a>'; }).join('') + '</div>';
    }
    return '';
  }

  /** The reaction chip as WhatsApp Web labels it; one's own is told by ", including yours <emoji>"
   * (the form the slice's TEXT_LABELS.reactionMine reads). */
  function reactionsHtml(m) {
    var rs = m.reactions || [];
    if (!rs.length) return '';
    var emojis = [];
    rs.forEach(function (r) { if (emojis.indexOf(r.emoji) < 0) emojis.push(r.emoji); });
    var mine = rs.filter(function (r) { return r.fromMe; })[0];
    var label = rs.length === 1 ? 'reaction ' + emojis[0] + (mine ? ', including yours' : '') :
      'Reactions ' + emojis.join(', ') + ' ' + rs.length + ' in total' + (mine ? ', including yours ' + mine.emoji : '');
    return '<button aria-label="' + esc(label + '. View reactions') + '" class="_ak5e">' + (rs.length > 1 ? rs.length : '') + '</button>';
  }

  function previewHtml(m) {
    var p = m.linkPreview;
    if (!p || m.recalled) return '';
    return '<div class="preview-card _ak9r"><div><span>' + esc(p.title || '') + '</span></div><div><span>' + esc(p.description || '') + '</span></div><div><span>' + esc(p.host || '') + '</span></div></div>';
  }

  /** The body with its links drawn as links (WhatsApp linkifies them). */
  function bodyHtml(body) {
    return esc(body).replace(/https?:\/\/[^\s<]+/g, function (u) { return '<a href="' + u + '" target="_blank" rel="noopener noreferrer">' + u + '</a>'; }).replace(/\n/g, '<br>');
  }

  function rowId(c, m) { return boot.bareMessageIds ? m.id : (m.fromMe ? 'true_' : 'false_') + c.jid + '_' + m.id + (c.isGroup && !m.fromMe && m.authorJid ? '_' + m.authorJid : ''); }

  // A group shows a member's name and number in a row of its own, with a data-id but no message.
  function memberRowHtml(c, m) {
    if (!c.isGroup || m.fromMe || !m.authorJid || m.system) return '';
    var first = c.messages.filter(function (x) { return x.authorJid === m.authorJid && !x.system; })[0];
    if (first !== m) return '';
    var digits = m.authorJid.replace(/\D/g, '');
    return '<div role="row"><div tabindex="-1" class="_amjv xa0aww2" data-id="' + esc(digits + '0') + '"><div class="message-in focusable-list-item _amjy">' +
      '<span dir="auto" class="x1rg5ohu _ao3e">~' + esc(m.author) + '</span><span dir="auto" class="x1rg5ohu _ao3e">+' + esc(digits) + '</span></div></div></div>';
  }

  function msgHtml(c, m, alone) {
    var d = new Date(m.at);
    var dataId = rowId(c, m);
    if (m.system) {
      // A notice of the chat: centred, no bubble, no direction, no time.
      return '<div role="row"><div tabindex="-1" class="_amjv" data-id="' + esc(dataId) + '"><div class="_amk4 _amkb" style="text-align:center"><span dir="auto" class="_ao3e">' + esc(m.body) + '</span></div></div></div>';
    }
    var pre = '[' + clock(d) + ', ' + date(d) + '] ' + m.author + ': ';
    var preAttr = broken.prePlainText ? 'data-x-pre="' + esc(pre) + '"' : 'data-pre-plain-text="' + esc(pre) + '"';
    var header = c.isGroup && !m.fromMe ? '<div class="_ahxj" role=""><span dir="auto" aria-label="Maybe ' + esc(m.author) + '" class="_ahxy">' + esc(m.author) + '</span></div>' : '';
    var quoted = '';
    if (m.quotedId && !m.recalled) {
      var q = c.messages.filter(function (x) { return x.id === m.quotedId; })[0];
      if (q) quoted = '<div class="_aju2"><div role="button" aria-label="Quoted message" tabindex="0"><div role=""><span dir="auto">' + esc(q.fromMe ? 'You' : q.author) + '</span></div>' +
        '<div dir="ltr" role="button"><span dir="auto" class="quoted-mention">' + esc(q.body) + '</span></div></div></div>';
    }
    var media = m.recalled ? '' : mediaHtml(m);
    var ackIcon = m.fromMe ? ackIconHtml(m.ack) : '';
    var text = m.recalled ? '<span aria-hidden="true" data-icon="recalled"></span><span>This message was deleted</span>' :
      (m.body ? (broken.selectableText ? '<span dir="ltr">' : '<span data-testid="selectable-text" dir="ltr" class="_ao3e selectable-text copyable-text">') + '<span>' + bodyHtml(m.body) + '</span></span>' : '');
    var edited = m.edited && !m.recalled ? '<span class="x1rg5ohu _ak4p">Edited</span>' : '';
    return (alone ? '' : memberRowHtml(c, m)) + '<div role="row"><div tabindex="-1" class="_amjv" data-id="' + esc(dataId) + '"><div class="x78zum5 xdt5ytf" data-virtualized="false"><div>' +
      '<div class="' + (m.fromMe ? 'message-out' : 'message-in') + ' focusable-list-item _amjy">' + (m.fromMe ? '<span aria-label="You:"></span>' : '<span></span>') +
      '<div class="_amk4"><div class="_amk6">' + header +
      '<div class="_ahy1 copyable-text" ' + preAttr + '>' + quoted + previewHtml(m) + media +
      '<div class="_ahy5"><div class="_ahwq">' + text + '<span aria-hidden="true"><span>' + esc(clock(d)) + '</span></span></div></div></div>' +
      '<div class="_ak4o">' + edited + '<span dir="auto">' + esc(clock(d)) + '</span>' + ackIcon + '</div>' +
      '</div></div>' + (m.recalled ? '' : reactionsHtml(m)) + '</div></div></div></div></div>';
  }

  function ackIconHtml(ack) {
    return ack <= 0 ? '<span data-icon="msg-time" aria-label=" Pending "></span>' : ack === 1 ? '<span data-icon="msg-check" aria-label=" Sent "></span>' :
      ack === 2 ? '<span data-icon="msg-dblcheck" aria-label=" Delivered "></span>' : ack === 3 ? '<span data-icon="msg-dblcheck" aria-label=" Read "></span>' : '<span data-icon="msg-dblcheck" aria-label=" Played "></span>';
  }

  function scroller() { return document.getElementById('sim-msgs'); }

  function renderMain() {
    var holder = document.getElementById('main-holder');
    if (!holder || !open) return;
    var c = open.chat;
    var from = Math.max(0, c.messages.length - open.shown);
    var rows = c.messages.slice(from).map(function (m) { return msgHtml(c, m); }).join('');
    var composer = broken.composer ? '<div role="textbox" aria-label="Type a message"></div>' :
      '<div contenteditable="true" role="textbox" aria-label="Type a message" data-tab="10" tabindex="10" spellcheck="true" style="min-height:20px"></div>';
    // The open chat's id is only in the conversation header (as in today's WhatsApp Web).
    var idAttr = broken.mainChatId ? '' : ' data-id="' + esc(c.jid) + '"';
    holder.innerHTML = '<div id="main" class="_ajx_"><header class="_amid" data-testid="conversation-header"><div role="button" title="Profile details"' + idAttr + '><span dir="auto" title="' + esc(c.name) + '" class="x1iyjqo2">' + esc(c.name) + '</span></div></header>' +
      '<div class="copyable-area"><div tabindex="0" role="application" data-tab="8" id="sim-msgs" style="height:600px;overflow-y:auto">' +
      (from > 0 ? '<div class="_ajyq" aria-label="Loading messages…"></div>' : '') + rows + '</div>' +
      '<footer class="_ak1i"><div class="_ak1r"><button type="button" title="Attach" aria-label="Attach" id="sim-attach" style="width:24px;height:24px"><span data-icon="plus-rounded"></span></button></div>' +
      '<div class="_ak1q">' + composer + '</div></footer></div></div>';
    var sc = scroller();
    sc.scrollTop = sc.scrollHeight;
    sc.addEventListener('scroll', onMsgScroll);
    var box = holder.querySelector('footer [role="textbox"]');
    box.addEventListener('keydown', onComposerKey);
  }

  var loadingOlder = false;
  function onMsgScroll() {
    var sc = scroller();
    if (!open || loadingOlder || sc.scrollTop > 40) return;
    var c = open.chat;
    if (open.shown >= c.messages.length) return;
    loadingOlder = true;
    // WhatsApp loads older messages a moment after reaching the top.
    setTimeout(function () {
      loadingOlder = false;
      if (!open || open.chat !== c) return;
      var sc2 = scroller();
      var before = sc2.scrollHeight - sc2.scrollTop;
      var oldFrom = Math.max(0, c.messages.length - open.shown);
      open.shown = Math.min(c.messages.length, open.shown + PAGE);
      var newFrom = Math.max(0, c.messages.length - open.shown);
      var html = c.messages.slice(newFrom, oldFrom).map(function (m) { return msgHtml(c, m); }).join('');
      var firstRow = sc2.querySelector('[role="row"]');
      var tmp = document.createElement('div');
      tmp.innerHTML = html;
      while (tmp.firstChild) sc2.insertBefore(tmp.firstChild, firstRow);
      if (newFrom === 0) { var l = sc2.querySelector('._ajyq'); if (l) l.remove(); }
      sc2.scrollTop = sc2.scrollHeight - before;
    }, 60);
  }

  function openChat(c) {
    if (open && open.chat === c) return;
    open = { chat: c, shown: Math.min(PAGE, c.messages.length) };
    c.unread = 0;
    renderRows();
    renderMain();
  }

  function newId() {
    var hex = '';
    for (var i = 0; i < 18; i++) hex += '0123456789ABCDEF'[Math.floor(Math.random() * 16)];
    return '3EB0' + hex;
  }
  function minuteNow() { var d = new Date(); d.setSeconds(0, 0); return d; }

  function onComposerKey(ev) {
    if (ev.key !== 'Enter' || ev.shiftKey) return;
    ev.preventDefault();
    var box = ev.currentTarget;
    var body = box.innerText.replace(/\u00a0/g, ' ').replace(/^\s+|\s+$/g, '');
    if (!body || !open) return;
    box.innerHTML = '';
    var c = open.chat;
    var m = { id: newId(), fromMe: true, author: boot.me.name, body: body, at: minuteNow().toISOString(), ack: 0, media: null, quotedId: null, recalled: false };
    c.messages.push(m);
    open.shown++;
    appendToOpen(c, m);
    sortChats(); renderRows();
    setTimeout(function () { setAck(m.id, 1); tell({ type: 'sent', chatJid: c.jid, message: m }); }, 120);
  }

  function appendToOpen(c, m) {
    if (!open || open.chat !== c) return;
    var sc = scroller();
    var tmp = document.createElement('div');
    tmp.innerHTML = msgHtml(c, m);
    while (tmp.firstChild) sc.appendChild(tmp.firstChild);
    sc.scrollTop = sc.scrollHeight;
  }

  function findMsg(id) {
    for (var i = 0; i < chats.length; i++) for (var k = chats[i].messages.length - 1; k >= 0; k--) if (chats[i].messages[k].id === id) return { chat: chats[i], msg: chats[i].messages[k] };
    return null;
  }

  /** Draws message `id` again where the open conversation shows it (after a change to it). */
  function rerender(id) {
    var f = findMsg(id);
    if (!f || !open || open.chat !== f.chat) return;
    var el = Array.prototype.filter.call(document.querySelectorAll('#main [data-id]'), function (e) { var d = e.getAttribute('data-id'); return d === id || d.indexOf('_' + id) >= 0; })[0];
    if (el) {
      var tmp = document.createElement('div');
      tmp.innerHTML = msgHtml(f.chat, f.msg, true);
      el.closest('[role="row"]').replaceWith(tmp.firstChild);
    }
  }

  function setAck(id, ack) {
    var f = findMsg(id);
    if (!f || f.msg.ack >= ack) return !!f;
    f.msg.ack = ack;
    if (last(f.chat) === f.msg) renderRows();
    rerender(id);
    return true;
  }

  // ---- login lifecycle -----------------------------------------------------------------------
  function linked() {
    var dev = localStorage.getItem(DEVICE_KEY);
    return !!dev && boot.linkedDevices.indexOf(dev) >= 0;
  }
  function start() {
    if (linked()) {
      S.Socket.setState('CONNECTED');
      renderApp();
      S.Socket.markSynced();
    } else {
      localStorage.removeItem(DEVICE_KEY);
      S.Socket.setState('UNPAIRED');
      renderQr();
    }
  }

  window.__sim = {
    /** The phone scans the QR: this browser becomes a linked device. Returns its device id. */
    scan: function () {
      if (S.Socket.state !== 'UNPAIRED' && S.Socket.state !== 'UNPAIRED_IDLE') throw new Error('no QR on screen (state ' + S.Socket.state + ')');
      var dev = 'dev-' + Math.random().toString(36).slice(2);
      localStorage.setItem(DEVICE_KEY, dev);
      boot.linkedDevices.push(dev);
      S.Socket.setState('PAIRING');
      S.Socket.setState('CONNECTED');
      renderApp();
      S.Socket.markSynced();
      return dev;
    },
    /** A message from the other side arrives (the phone already keeps it); a file it carries is
     * fetched from the phone first, so the row shows it at once (unless it waits for a download). */
    receive: function (chatJid, m) {
      var c = chats.filter(function (x) { return x.jid === chatJid; })[0];
      if (!c) throw new Error('no chat ' + chatJid);
      if (c.messages.some(function (x) { return x.id === m.id; })) return;
      var md = fileMedia(m);
      var ready = md && md.downloaded ? loadMedia(md) : Promise.resolve();
      return ready.then(function () {
        if (c.messages.some(function (x) { return x.id === m.id; })) return;
        c.messages.push(m);
        if (open && open.chat === c) { open.shown++; appendToOpen(c, m); } else if (!m.system) c.unread++;
        sortChats();
        renderRows();
      });
    },
    /** The phone has the file now (it showed a thumbnail so far). */
    mediaReady: function (id) {
      var f = findMsg(id);
      if (!f || !fileMedia(f.msg)) return false;
      f.msg.media.downloaded = true;
      loadMedia(f.msg.media).then(function () { rerender(id); }, function () {});
      return true;
    },
    /** The other side reacts (emoji null: takes its reaction back). */
    react: function (id, emoji) {
      var f = findMsg(id);
      if (!f) return false;
      var rs = (f.msg.reactions || []).filter(function (r) { return r.fromMe; });
      if (emoji) rs.push({ emoji: emoji, fromMe: false });
      f.msg.reactions = rs;
      rerender(id);
      // As WhatsApp's list does: the chat's line says so until the next message.
      if (emoji) {
        var snippet = (f.msg.body || (typeof f.msg.media === 'object' && f.msg.media ? f.msg.media.fileName || f.msg.media.kind : 'a message') || '').slice(0, 40);
        f.chat.reactionLine = { text: 'Reacted ' + emoji + ' to \u201c' + snippet + '\u201d', after: f.chat.messages.length };
        renderRows();
      }
      return true;
    },
    edit: function (id, body) {
      var f = findMsg(id);
      if (!f) return false;
      f.msg.body = body;
      f.msg.edited = true;
      rerender(id);
      if (last(f.chat) === f.msg) renderRows();
      return true;
    },
    recall: function (id) {
      var f = findMsg(id);
      if (!f) return false;
      Object.assign(f.msg, { recalled: true, body: 'This message was deleted', media: null, reactions: [], linkPreview: null, edited: false });
      rerender(id);
      if (last(f.chat) === f.msg) renderRows();
      return true;
    },
    ack: function (id, ack) { return setAck(id, ack); },
    /** A WhatsApp Web change: one selector of the selector module stops matching. */
    breakSelector: function (name) {
      broken[name] = true;
      if (name === 'composer' || name === 'prePlainText' || name === 'selectableText' || name === 'mainChatId') renderMain();
      else if (document.getElementById('chat-grid') || document.getElementById('pane-side-x')) renderRows();
      if (name === 'chatList') { var p = document.getElementById('pane-side'); if (p) p.id = 'pane-side-x'; }
      if (name === 'main') { var mm = document.getElementById('main'); if (mm) mm.id = 'main-x'; }
      if (name === 'qrCanvas') { var cv = document.querySelector('canvas'); if (cv) cv.remove(); }
      return true;
    },
    remoteLogout: function () {
      localStorage.removeItem(DEVICE_KEY);
      boot.linkedDevices = [];
      open = null;
      S.Socket.setState('UNPAIRED');
      renderQr();
    },
    localLogout: function () {
      var dev = localStorage.getItem(DEVICE_KEY);
      localStorage.removeItem(DEVICE_KEY);
      tell({ type: 'unlinked', deviceId: dev });
    },
    pairingCodeRequested: function (phone, code) { tell({ type: 'pairing-code', phone: phone, code: code }); },
    state: function () { return S.Socket.state; },
  };

  // For the page's other scripts (page-compose.js: attaching files, the reaction picker): the
  // state and drawing functions they share with this one.
  window.__simInternals = {
    boot: boot,
    chats: function () { return chats; },
    open: function () { return open; },
    appendToOpen: appendToOpen,
    rerender: rerender,
    findMsg: findMsg,
    loadMedia: loadMedia,
    setAck: setAck,
    tell: tell,
    newId: newId,
    minuteNow: minuteNow,
    sortChats: sortChats,
    renderRows: renderRows,
  };

  // A document card's button: the page offers the file as a download, as WhatsApp Web does.
  document.addEventListener('click', function (ev) {
    var card = ev.target && ev.target.closest ? ev.target.closest('[data-sim-dl]') : null;
    if (!card) return;
    var f = findMsg(card.getAttribute('data-sim-dl'));
    var md = f && fileMedia(f.msg);
    if (!md) return;
    loadMedia(md).then(function (url) {
      var a = document.createElement('a');
      a.href = url;
      a.download = md.fileName || 'file';
      a.style.display = 'none';
      document.body.appendChild(a);
      a.click();
      a.remove();
    }, function () {});
  }, true);

  function begin() { setTimeout(start, 60); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', begin);
  else begin();
})();
