// Just enough of WhatsApp Web's module system for whatsapp-web.js 1.34.7's start-up, so that the
// library's real qr → authenticated → ready sequence runs against the simulator. Only the library
// uses these; Queunir's own code reads the DOM. `window.__simBoot` (set by page-script.js) decides
// whether this browser is a linked device.
(function () {
  'use strict';
  function emitter(extra) {
    var handlers = {};
    var self = {
      on: function (events, fn) {
        String(events).split(' ').forEach(function (e) { (handlers[e] = handlers[e] || []).push(fn); });
        if (self.__onListen) self.__onListen(String(events));
        return self;
      },
      once: function (event, fn) {
        var wrap = function () { self.off(event, wrap); fn.apply(null, arguments); };
        return self.on(event, wrap);
      },
      off: function (events, fn) {
        String(events).split(' ').forEach(function (e) {
          handlers[e] = (handlers[e] || []).filter(function (h) { return h !== fn; });
        });
        return self;
      },
      emit: function (event) {
        var args = Array.prototype.slice.call(arguments, 1);
        (handlers[event] || []).slice().forEach(function (h) { try { h.apply(null, args); } catch (e) { console.error(e); } });
      },
      listenerCount: function (e) { return (handlers[e] || []).length; },
      get: function () { return undefined; },
      getModelsArray: function () { return []; },
    };
    return Object.assign(self, extra || {});
  }
  function bytes(n, seed) {
    var a = new Uint8Array(n);
    for (var i = 0; i < n; i++) a[i] = (seed * 31 + i * 17) & 255;
    return a;
  }
  function newRef() {
    return '2@' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }

  var Socket = emitter({ state: 'OPENING', hasSynced: false });
  var pendingSynced = false;
  Socket.__onListen = function (events) {
    if (events.indexOf('change:hasSynced') >= 0 && pendingSynced) {
      pendingSynced = false;
      setTimeout(function () { Socket.emit('change:hasSynced', Socket, true); }, 30);
    }
  };
  Socket.setState = function (s) {
    Socket.state = s;
    Socket.emit('change:state', Socket, s);
  };
  /** Fires hasSynced now if the library listens already, else as soon as it starts listening. */
  Socket.markSynced = function () {
    Socket.hasSynced = true;
    if (Socket.listenerCount('change:hasSynced') > 0) Socket.emit('change:hasSynced', Socket, true);
    else pendingSynced = true;
  };
  Socket.logout = function () {
    if (window.__sim) window.__sim.localLogout();
    return Promise.resolve();
  };
  Socket.takeover = function () {};

  var Conn = emitter({ ref: newRef(), platform: 'web', pushname: null, battery: 100, plugged: true });
  Conn.serialize = function () {
    return { pushname: (window.__simBoot && window.__simBoot.me.name) || 'Sim', platform: 'web', battery: 100, plugged: true };
  };
  var Cmd = emitter({});
  Cmd.refreshQR = function () {
    Conn.ref = newRef();
    Conn.emit('change:ref', Conn, Conn.ref);
  };
  var me = function () {
    var jid = (window.__simBoot && window.__simBoot.me.jid) || '0@c.us';
    var parts = jid.split('@');
    return { _serialized: jid, user: parts[0], server: parts[1] };
  };
  var calls = emitter({ _index: new Map() });

  var modules = {
    WABase64: { encodeB64: function (u8) { var s = ''; for (var i = 0; i < u8.length; i++) s += String.fromCharCode(u8[i]); return btoa(s); } },
    WAWebAdvSignatureApi: {},
    WAWebAltDeviceLinkingApi: {
      setPairingType: function () {},
      initializeAltDeviceLinking: function () { return Promise.resolve(); },
      startAltLinkingFlow: function (phone) {
        var letters = 'ABCDEFGHJKLMNPQRSTVWXYZ23456789';
        var code = '';
        for (var i = 0; i < 8; i++) code += letters[Math.floor(Math.random() * letters.length)];
        if (window.__sim) window.__sim.pairingCodeRequested(String(phone), code);
        return Promise.resolve(code);
      },
    },
    WAWebCallCollection: calls,
    WAWebCmd: { Cmd: Cmd },
    WAWebCollections: { Msg: emitter({ modelClass: function () {} }), Chat: emitter({}), Contact: emitter({}) },
    WAWebCompanionRegClientUtils: { DEVICE_PLATFORM: 'CHROME' },
    WAWebConnModel: { Conn: Conn },
    WAWebOfflineHandler: { OfflineMessageHandler: { getOfflineDeliveryProgress: function () { return 100; } } },
    WAWebSignalStoreApi: { waSignalStore: { getRegistrationInfo: function () { return Promise.resolve({ identityKeyPair: { pubKey: bytes(32, 7) } }); } } },
    WAWebSocketModel: { Socket: Socket },
    WAWebSyncGatingUtils: {},
    WAWebUserPrefsInfoStore: { waNoiseInfo: { get: function () { return Promise.resolve({ staticKeyPair: { pubKey: bytes(32, 3) } }); } } },
    WAWebUserPrefsMeUser: { getMaybeMePnUser: me, getMaybeMeLidUser: function () { return null; } },
    WAWebUserPrefsMultiDevice: { getADVSecretKey: function () { return btoa('sim-adv-secret'); } },
  };
  var catchAll = {};
  window.require = function (name) {
    if (modules[name]) return modules[name];
    return (catchAll[name] = catchAll[name] || emitter({}));
  };
  window.Debug = { VERSION: '2.3000.1000000000-sim' };
  window.__simModules = { Socket: Socket, Conn: Conn, Cmd: Cmd };
})();
