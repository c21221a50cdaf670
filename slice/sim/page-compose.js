// The simulator's WhatsApp Web, continued: attaching files through the composer's file inputs (with
// the media editor's caption and send button) and the reaction picker, as WhatsApp Web offers them.
// It works on page-script.js's state through window.__simInternals. Rows are redrawn often, so every
// listener here is one on the document, finding its element from the event's target.
(function () {
  'use strict';
  var I = window.__simInternals;
  if (!I) return;
  // WhatsApp Web's own accept lists: photos and videos, or any file as a document.
  var MEDIA_ACCEPT = 'image/*,video/mp4,video/3gpp,video/quicktime';
  var REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'];
  // Pieces of an upload to the phone: small enough for one exposed-function call each.
  var PIECE = 256 * 1024;
  var editing = null; // { file, asMedia, url } while the media editor is open
  var broken = {}; // attachButton, mediaCaption: WhatsApp Web changes the tests can make

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; });
  }
  function node(html) { var t = document.createElement('div'); t.innerHTML = html; return t.firstChild; }
  function remove(id) { var e = document.getElementById(id); if (e) e.remove(); }
  function same(a, b) { return String(a).replace(/\uFE0F/g, '') === String(b).replace(/\uFE0F/g, ''); }
  function sizeText(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' kB'; }
  // The message id of a row's data-id: bare, or the packed `true_<chat>_<id>[_<author>]`.
  function idOf(dataId) { var p = dataId.split('_'); return p.length >= 3 ? p[2] : dataId; }

  // ---- the attach menu ----------------------------------------------------------------------
  function menuItem(label, icon, accept, multiple) {
    return '<li tabindex="0" role="button" data-animate-dropdown-item="true" aria-label="' + esc(label) + '" style="display:block;height:40px;width:200px">' +
      '<span data-icon="' + icon + '"></span><span>' + esc(label) + '</span>' +
      '<input type="file" accept="' + esc(accept) + '"' + (multiple ? ' multiple' : '') + ' style="display:none"></li>';
  }
  function openAttachMenu(button) {
    remove('sim-attach-menu');
    var b = button.getBoundingClientRect();
    document.body.appendChild(node('<div id="sim-attach-menu" role="application" style="position:fixed;z-index:10;background:#fff;left:' + b.left + 'px;bottom:' + (window.innerHeight - b.top + 4) + 'px"><ul>' +
      menuItem('Photos & videos', 'media-filled-refreshed', MEDIA_ACCEPT, true) + menuItem('Document', 'document-filled-refreshed', '*', false) + '</ul></div>'));
  }

  // ---- the media editor: preview, caption, send ----------------------------------------------
  function kindOf(file, asMedia) {
    if (!asMedia) return 'document';
    return /^video\//.test(file.type) ? 'video' : 'image';
  }
  function openEditor(file, asMedia) {
    closeEditor();
    var url = URL.createObjectURL(file);
    editing = { file: file, asMedia: asMedia, url: url };
    var main = document.getElementById('main');
    var r = main ? main.getBoundingClientRect() : { left: 420, top: 0, width: 600, height: 700 };
    var kind = kindOf(file, asMedia);
    var preview = kind === 'image' ? '<img alt="" src="' + url + '" style="max-width:100%;max-height:300px">' :
      kind === 'video' ? '<video src="' + url + '" style="max-height:300px"></video>' :
      '<div><span data-icon="document-refreshed"></span><span>' + esc(file.name) + '</span> <span>' + esc(sizeText(file.size)) + '</span></div>';
    var ed = node('<div id="sim-media-editor" style="position:fixed;z-index:8;background:#eee;left:' + r.left + 'px;top:' + r.top + 'px;width:' + r.width + 'px;height:' + r.height + 'px">' +
      '<div role="button" aria-label="Close" tabindex="0" id="sim-editor-close" style="width:24px;height:24px"><span data-icon="x"></span></div>' +
      '<div>' + preview + '</div>' +
      '<div contenteditable="true" role="textbox" aria-label="' + (broken.mediaCaption ? 'Caption' : 'Add a caption') + '" spellcheck="true" style="min-height:20px;border:1px solid #ccc"></div>' +
      '<div role="button" aria-label="Send" tabindex="0" id="sim-editor-send" style="width:40px;height:40px"><span data-icon="wds-ic-send-filled"></span></div></div>');
    document.body.appendChild(ed);
    var cap = ed.querySelector('[role="textbox"]');
    cap.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); sendFromEditor(); }
    });
    cap.focus();
  }
  function closeEditor() {
    if (editing) URL.revokeObjectURL(editing.url);
    editing = null;
    remove('sim-media-editor');
  }

  function base64(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }
  async function sha256Of(file) {
    var d = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    return Array.prototype.map.call(d, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }
  // The phone keeps the file only when its last piece names the sha256 the pieces add up to.
  async function upload(file, sha) {
    if (typeof window.__simPhoneEvent !== 'function') return false;
    var uploadId = 'up-' + I.newId();
    for (var off = 0; ;) {
      var bytes = new Uint8Array(await file.slice(off, off + PIECE).arrayBuffer());
      var last = off + bytes.length >= file.size;
      var ok = await window.__simPhoneEvent({ type: 'upload-piece', uploadId: uploadId, offset: off, dataBase64: base64(bytes), last: last ? { sha256: sha } : null });
      if (!ok) return false;
      off += bytes.length;
      if (last) return true;
    }
  }

  async function sendFromEditor() {
    var o = I.open();
    if (!editing || !o) return;
    var cap = document.querySelector('#sim-media-editor [role="textbox"]');
    var caption = cap ? cap.innerText.replace(/\u00a0/g, ' ').replace(/^\s+|\s+$/g, '') : '';
    var e = editing;
    editing = null; // the blob: URL lives on with the message
    remove('sim-media-editor');
    var c = o.chat;
    var sha = await sha256Of(e.file);
    var m = {
      id: I.newId(), fromMe: true, author: I.boot.me.name, body: caption, at: I.minuteNow().toISOString(), ack: 0,
      media: { kind: kindOf(e.file, e.asMedia), mimeType: e.file.type || 'application/octet-stream', fileName: e.file.name, size: e.file.size, sha256: sha, downloaded: true },
      quotedId: null, recalled: false, reactions: [], objectUrl: e.url,
    };
    c.messages.push(m);
    if (I.open() && I.open().chat === c) I.open().shown++;
    I.appendToOpen(c, m);
    I.sortChats(); I.renderRows();
    var kept = await upload(e.file, sha).catch(function () { return false; });
    if (!kept) { m.ack = -1; I.rerender(m.id); return; }
    I.setAck(m.id, 1);
    I.tell({ type: 'sent', chatJid: c.jid, message: Object.assign({}, m, { objectUrl: undefined }) });
  }

  // ---- the reaction picker ----------------------------------------------------------------------
  function ownReaction(m) {
    var r = (m.reactions || []).filter(function (x) { return x.fromMe; })[0];
    return r ? r.emoji : null;
  }
  function showReactButton(row) {
    var bubble = row.querySelector('.message-in, .message-out');
    if (!bubble || row.querySelector('.sim-react-button')) return;
    Array.prototype.forEach.call(document.querySelectorAll('.sim-react-button'), function (b) { b.remove(); });
    bubble.insertAdjacentElement('afterend', node('<div role="button" aria-label="React" tabindex="-1" class="sim-react-button" style="display:inline-block;width:24px;height:24px"><span data-icon="react"></span></div>'));
  }
  function openPicker(button) {
    remove('sim-reactions');
    var holder = button.closest('[data-id]');
    var f = holder && I.findMsg(idOf(holder.getAttribute('data-id')));
    if (!f) return;
    var mine = ownReaction(f.msg);
    var b = button.getBoundingClientRect();
    document.body.appendChild(node('<div id="sim-reactions" role="dialog" aria-label="Reactions" data-testid="reactions-tray" data-for="' + esc(f.msg.id) + '" style="position:fixed;z-index:9;background:#fff;left:' + Math.max(0, b.left - 120) + 'px;top:' + Math.max(0, b.top - 48) + 'px">' +
      REACTIONS.map(function (e) {
        return '<div role="button" tabindex="0" aria-label="' + e + '" aria-pressed="' + (mine && same(mine, e) ? 'true' : 'false') + '" data-emoji="' + e + '" style="display:inline-block;width:40px;height:40px"><span>' + e + '</span></div>';
      }).join('') + '</div>'));
  }
  // Choosing one's own emoji again takes it back, as in WhatsApp.
  function choose(option) {
    var f = I.findMsg(option.closest('#sim-reactions').getAttribute('data-for'));
    remove('sim-reactions');
    if (!f) return;
    var emoji = option.getAttribute('data-emoji');
    var mine = ownReaction(f.msg);
    var next = mine && same(mine, emoji) ? null : emoji;
    var others = (f.msg.reactions || []).filter(function (r) { return !r.fromMe; });
    f.msg.reactions = next ? others.concat([{ emoji: next, fromMe: true }]) : others;
    // page-script.js's msgHtml draws the chips from m.reactions.
    I.rerender(f.msg.id);
    I.tell({ type: 'reacted', chatJid: f.chat.jid, waId: f.msg.id, emoji: next });
  }
  // ---- one set of listeners for all of it ------------------------------------------------------
  document.addEventListener('click', function (ev) {
    var t = ev.target;
    if (!(t instanceof Element)) return;
    if (!t.closest('#sim-attach-menu, #sim-attach')) remove('sim-attach-menu');
    if (!t.closest('#sim-reactions, .sim-react-button')) remove('sim-reactions');
    var attach = t.closest('#sim-attach');
    if (attach) { if (document.getElementById('sim-attach-menu')) remove('sim-attach-menu'); else openAttachMenu(attach); return; }
    var item = t.closest('#sim-attach-menu li');
    if (item && t.tagName !== 'INPUT') { item.querySelector('input').click(); return; }
    if (t.closest('#sim-editor-send')) { sendFromEditor(); return; }
    if (t.closest('#sim-editor-close')) { closeEditor(); return; }
    var rb = t.closest('.sim-react-button');
    if (rb) { openPicker(rb); return; }
    var opt = t.closest('#sim-reactions [data-emoji]');
    if (opt) choose(opt);
  });
  document.addEventListener('change', function (ev) {
    var input = ev.target;
    if (!(input instanceof HTMLInputElement) || !input.closest('#sim-attach-menu')) return;
    var file = input.files && input.files[0];
    var asMedia = input.getAttribute('accept') !== '*';
    remove('sim-attach-menu');
    if (file) openEditor(file, asMedia);
  }, true);
  document.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Escape') return;
    remove('sim-attach-menu');
    remove('sim-reactions');
    closeEditor();
  });
  document.addEventListener('mouseover', function (ev) {
    var row = ev.target instanceof Element ? ev.target.closest('#main [role="row"]') : null;
    if (row && row.querySelector('[data-id]')) showReactButton(row);
  });

  // WhatsApp Web changes the tests can make: no attach button in the composer, or a caption box
  // labelled otherwise.
  var breakSelector = window.__sim.breakSelector;
  window.__sim.breakSelector = function (name) {
    if (name !== 'attachButton' && name !== 'mediaCaption') return breakSelector(name);
    broken[name] = true;
    if (name === 'attachButton') {
      remove('sim-attach');
      new MutationObserver(function () { remove('sim-attach'); }).observe(document.documentElement, { childList: true, subtree: true });
    }
    return true;
  };
})();
