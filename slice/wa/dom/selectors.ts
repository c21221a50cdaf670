// THE selector module: every CSS selector the DOM code uses, in one versioned place. When WhatsApp
// Web changes its markup, this file changes and SELECTORS_VERSION moves. Roles, ids, data- and
// aria- attributes are preferred because WhatsApp's hashed class names (`_ak8q` …) change often.

export const SELECTORS_VERSION = '2026.05-1';

interface SelectorDef {
  css: string;
  /** When the self-check expects it to match: at READY (chat list shown) or with a chat open. */
  requiredWhen: 'ready' | 'chat' | 'qr' | 'never';
  doc: string;
}

export const SELECTORS = {
  qrCanvas: { css: 'div[data-ref] canvas', requiredWhen: 'qr', doc: 'the login QR code' },
  qrRef: { css: 'div[data-ref]', requiredWhen: 'qr', doc: 'holds the QR payload in data-ref' },
  chatList: { css: '#pane-side', requiredWhen: 'ready', doc: 'the chat list pane (virtualised)' },
  chatRow: { css: '#pane-side [role="row"], #pane-side [role="listitem"]', requiredWhen: 'ready', doc: 'a chat list row' },
  chatTitle: { css: '#pane-side [role="row"] span[title], #pane-side [role="listitem"] span[title]', requiredWhen: 'ready', doc: 'the chat name inside a row' },
  chatUnread: { css: '[aria-label*="unread message" i]', requiredWhen: 'never', doc: 'the unread badge of a row' },
  chatTime: { css: '[data-testid="cell-frame-secondary"], ._ak8i', requiredWhen: 'never', doc: 'the last activity time of a row' },
  chatPreview: { css: '[data-testid="last-msg-status"] span[title], span[dir="ltr"][title], [data-testid="cell-frame-secondary"] ~ * span[title]', requiredWhen: 'never', doc: 'the last message preview' },
  // A row's state and menu, the Archived list and "New chat" (issue 14): 'never', so a page without
  // archived chats, or an older build, still passes the self-check.
  chatPinned: { css: '[data-icon^="pinned"], [aria-label="Pinned chat" i]', requiredWhen: 'never', doc: 'the pin icon of a pinned row' },
  chatMuted: { css: '[data-icon^="muted"], [aria-label="Muted chat" i]', requiredWhen: 'never', doc: 'the muted icon of a row' },
  archivedEntry: { css: '#pane-side [aria-label="Archived" i]:not([role="grid"]), #side button[aria-label="Archived" i]', requiredWhen: 'never', doc: 'the "Archived" entry above the chat list' },
  archivedHeader: { css: '[data-testid="archived-header"], #pane-side [role="grid"][aria-label="Archived" i]', requiredWhen: 'never', doc: 'shown while the side pane lists the archived chats' },
  backButton: { css: '[data-testid="archived-header"] [aria-label="Back" i], [data-testid="archived-header"] [data-icon="back"]', requiredWhen: 'never', doc: 'back from the Archived list' },
  menuItem: { css: 'li[data-animate-dropdown-item], [role="application"] li[role="button"], [role="menu"] [role="menuitem"]', requiredWhen: 'never', doc: "an item of a row's context menu" },
  dialog: { css: '[role="dialog"], [data-animate-modal-popup]', requiredWhen: 'never', doc: 'a popup such as "Mute notifications"' },
  dialogOption: { css: 'label, [role="radio"], [role="option"]', requiredWhen: 'never', doc: 'a choice inside a popup (8 hours / 1 week / Always)' },
  dialogButton: { css: 'button, [role="button"]', requiredWhen: 'never', doc: 'a button of a popup' },
  newChatButton: { css: '[aria-label="New chat" i], [title="New chat" i], [data-icon="new-chat-outline"], [data-icon="chat"]', requiredWhen: 'never', doc: 'opens "New chat"' },
  newChatSearch: {
    css: '[contenteditable="true"][aria-label*="Search name or number" i], input[aria-label*="Search name or number" i], [data-testid="new-chat-drawer"] [contenteditable="true"]',
    requiredWhen: 'never',
    doc: 'the search box of "New chat"',
  },
  newChatResult: { css: '[aria-label*="Search results" i] [role="listitem"], [data-testid="new-chat-drawer"] [role="listitem"]', requiredWhen: 'never', doc: 'a result of "New chat"' },
  main: { css: '#main', requiredWhen: 'chat', doc: 'the open conversation' },
  mainHeaderTitle: { css: '#main header span[title], #main header [dir="auto"]', requiredWhen: 'chat', doc: 'the open chat name' },
  mainChatId: {
    css: '#main header[data-testid="conversation-header"][data-id], #main header[data-testid="conversation-header"] [data-id]',
    requiredWhen: 'chat',
    doc: 'the open chat id (its data-id): the only place the page names the open chat; titles repeat',
  },
  messageList: { css: '#main [role="application"], #main [data-tab="8"], #main .copyable-area', requiredWhen: 'never', doc: 'the scrollable message list' },
  messageRow: { css: '#main [role="row"]', requiredWhen: 'chat', doc: 'a message row' },
  messageId: { css: '[data-id]', requiredWhen: 'chat', doc: 'the element carrying the message id' },
  messageIn: { css: '.message-in', requiredWhen: 'never', doc: 'incoming bubble' },
  messageOut: { css: '.message-out', requiredWhen: 'never', doc: 'outgoing bubble' },
  prePlainText: { css: '[data-pre-plain-text]', requiredWhen: 'chat', doc: '"[time, date] Author: " on the bubble' },
  selectableText: { css: '[data-testid="selectable-text"], .selectable-text', requiredWhen: 'chat', doc: 'the message text' },
  quoted: { css: '[aria-label="Quoted message" i]', requiredWhen: 'never', doc: 'a quoted message inside a bubble' },
  quotedText: { css: '.quoted-mention', requiredWhen: 'never', doc: 'the quoted text' },
  recalled: { css: '[data-icon="recalled"]', requiredWhen: 'never', doc: 'a deleted message' },
  ackIcon: {
    css: '[data-icon="msg-time"], [data-icon="msg-check"], [data-icon="msg-dblcheck"], [data-icon="msg-dblcheck-ack"], [data-icon="msg-error"]',
    requiredWhen: 'never',
    doc: 'the ticks of an outgoing message',
  },
  authorName: { css: '[role=""] > span[dir="auto"][aria-label], [role=""] > span[dir="ltr"]', requiredWhen: 'never', doc: 'the group author header' },
  composer: { css: '#main footer [contenteditable="true"]', requiredWhen: 'chat', doc: 'the message composer' },
  emoji: { css: 'img.emoji, img[data-plain-text]', requiredWhen: 'never', doc: 'an emoji drawn as an image' },
  // Media, reactions, previews, edits and system notices (issue 15). All 'never': a chat without
  // them still passes the self-check.
  linkPreview: {
    css: '.preview-card, [data-testid="link-preview"], [data-testid="link-preview-card"]',
    requiredWhen: 'never',
    doc: 'a link preview card (title, description, host lines) inside .copyable-text, before the body',
  },
  link: { css: 'a[href^="http"]', requiredWhen: 'never', doc: "a link (the preview card's own, else the body's first)" },
  reactionButton: {
    css: '[aria-label^="reaction" i]',
    requiredWhen: 'never',
    doc: 'the reaction chip under a bubble: aria-label "reaction 👍. View reactions" or "Reactions 👍, ❤ 4 in total"',
  },
  mediaFullSource: {
    css: 'img[src^="blob:"], video[src^="blob:"], audio[src^="blob:"], source[src^="blob:"]',
    requiredWhen: 'never',
    doc: 'a decrypted file the page holds (WhatsApp Web shows downloaded media from blob: URLs)',
  },
  mediaThumbSource: {
    css: 'img[src^="data:"], [style*="background-image"]',
    requiredWhen: 'never',
    doc: 'a blurred preview (an inline data: image or a background-image) shown before WhatsApp has the file',
  },
  mediaPoster: { css: 'video[poster]', requiredWhen: 'never', doc: "a video's poster image" },
  mediaDownloadButton: {
    css: '[data-icon="media-download"], [data-icon="audio-download"], [aria-label^="Download" i], [title^="Download" i]',
    requiredWhen: 'never',
    doc: 'the download arrow of media WhatsApp has not downloaded yet, or the download button of a document card',
  },
  mediaSlider: { css: '[role="slider"][aria-valuetext]', requiredWhen: 'never', doc: 'the seek bar of a voice note or audio: aria-valuetext "0:00/0:37"' },
  mediaDuration: { css: '[data-testid="media-duration"], [aria-hidden="true"]', requiredWhen: 'never', doc: 'a "0:37" duration shown on a video or voice note' },
  documentInfo: { css: '[data-testid="document-info"], [title*=" • "], span', requiredWhen: 'never', doc: 'a document card\'s "PDF • 2 pages • 1 MB" line (any span that reads like one)' },
  documentName: { css: '[data-testid="document-name"], [title^="Download" i] span[dir="auto"], span[dir="auto"][title]', requiredWhen: 'never', doc: "a document card's file name" },
  locationLink: { css: 'a[href*="maps.google."], a[href*="google.com/maps"], a[href*="maps.app.goo.gl"], a[href*="?q="]', requiredWhen: 'never', doc: 'the map link of a shared location ("…?q=lat,lng")' },
  contactName: { css: '[data-testid="vcard-name"], [role="button"][aria-label*="contact card" i] span[dir="auto"], span[dir="auto"][title]', requiredWhen: 'never', doc: "a contact card's name" },
  contactPhone: { css: '[data-testid="vcard-phone"], a[href^="tel:"]', requiredWhen: 'never', doc: "a contact card's phone numbers" },
  // The ones below only narrow what the ones above found; the self-check does not look for them.
  mainDataId: { css: '#main [data-id]', requiredWhen: 'never', doc: 'an element with an id inside the open conversation (a message, or the header)' },
  anyRow: { css: '[role="row"]', requiredWhen: 'never', doc: 'the row a message element belongs to' },
  chatRowCount: { css: '[aria-rowcount]', requiredWhen: 'never', doc: "the chat list grid announcing how many rows it has" },
  chatTimeDatetime: { css: '[datetime]', requiredWhen: 'never', doc: 'a machine-readable time inside the row time' },
  quotedAuthor: { css: '[role=""] span', requiredWhen: 'never', doc: "the quoted message header's names" },
  bubbleClock: { css: 'span[dir="auto"], span', requiredWhen: 'never', doc: 'candidates for the clock of a bubble without data-pre-plain-text' },
  image: { css: 'img', requiredWhen: 'never', doc: 'any image in a bubble (big ones are photos)' },
  mediaVoice: { css: '[aria-label*="voice message" i], [data-icon="audio-play"], [data-icon="ptt-status"]', requiredWhen: 'never', doc: 'a voice message' },
  mediaAudio: { css: 'audio, [aria-label*="audio" i], [data-icon="audio-file"]', requiredWhen: 'never', doc: 'an audio file' },
  mediaVideo: {
    css: 'video, [aria-label="Play GIF" i], [aria-label*="play video" i], [data-icon="media-play"], [data-icon="media-gif"]',
    requiredWhen: 'never',
    doc: 'a video or GIF',
  },
  mediaSticker: { css: '[aria-label*="sticker" i], img[data-testid="sticker"]', requiredWhen: 'never', doc: 'a sticker' },
  mediaLocation: { css: '[aria-label*="location" i], [data-icon="location"]', requiredWhen: 'never', doc: 'a shared location' },
  mediaDocument: {
    css: '[aria-label*="document" i], [data-icon*="document"], [data-icon="audio-document"], [title^="Download" i]',
    requiredWhen: 'never',
    doc: 'a document',
  },
  mediaContact: { css: '[aria-label*="contact card" i], [data-icon="vcard"], [data-icon="default-contact-refreshed"]', requiredWhen: 'never', doc: 'a contact card' },
  mediaImage: { css: '[aria-label*="picture" i], [aria-label*="photo" i], [aria-label*="image" i]', requiredWhen: 'never', doc: 'a photo' },
  // Sending files and reacting as a person does (issue 15): the composer's attach menu with its own
  // file inputs, the media editor's caption and send button, the reaction picker. 'never': the
  // self-check must not depend on a hover or a menu being open.
  attachButton: { css: '#main footer :is([aria-label="Attach" i], [title="Attach" i], [data-icon="plus"], [data-icon="plus-rounded"], [data-icon="clip"])', requiredWhen: 'never', doc: "the composer's attach button (+ or paperclip)" },
  attachFileInput: { css: 'input[type="file"]', requiredWhen: 'never', doc: "a file input of the attach menu (its accept attribute tells photos and videos from documents)" },
  attachMenuItem: { css: 'li, [role="button"], [role="menuitem"]', requiredWhen: 'never', doc: 'the attach menu item a file input belongs to ("Photos & videos", "Document")' },
  mediaCaption: { css: '[contenteditable="true"][aria-label="Add a caption" i]', requiredWhen: 'never', doc: "the media editor's caption box (shown once a file is chosen)" },
  mediaSend: { css: '[aria-label="Send" i], [data-icon="send"], [data-icon="wds-ic-send-filled"]', requiredWhen: 'never', doc: "the media editor's send button (the one beside the caption box)" },
  mediaEditorClose: { css: '[aria-label="Close" i], [data-icon="x"], [data-icon="x-viewer"]', requiredWhen: 'never', doc: 'closes the media editor without sending' },
  reactButton: { css: '[aria-label="React" i], [data-icon="react"]', requiredWhen: 'never', doc: 'the "React" button shown while a message is hovered' },
  reactionPicker: { css: '[data-testid="reactions-tray"], [role="dialog"][aria-label*="reaction" i], [aria-label="Reactions tray" i]', requiredWhen: 'never', doc: 'the picker the React button opens (six emoji and "More reactions")' },
  reactionOption: { css: '[role="button"], button, [role="option"]', requiredWhen: 'never', doc: "an emoji of the reaction picker (its aria-label, image or text is the emoji)" },
  reactionChip: { css: '[aria-label^="reaction " i], [aria-label^="Reactions " i]', requiredWhen: 'never', doc: 'the reactions under a bubble ("reaction 👍. View reactions", "Reactions 👍, ❤ 4 in total")' },
} as const satisfies Record<string, SelectorDef>;

export type SelectorName = keyof typeof SELECTORS;

/** Words the page shows as text rather than markup (en-US, the language the slice pins): they
 * change with WhatsApp Web as selectors do, so they live here too. */
export const TEXT_LABELS = {
  /** Beside the time of a changed message. */
  edited: ['Edited'],
  /** The reaction chip's label says one of them is this account's own (WhatsApp Web reads a
   * person's own reaction out like this; the simulator writes it the same way). */
  reactionMine: ['including yours', 'You reacted'],
} as const;

/** Name → CSS, the form handed to the in-page code (which cannot import this module). */
export function selectorMap(): Record<SelectorName, string> {
  const out = {} as Record<SelectorName, string>;
  for (const [k, v] of Object.entries(SELECTORS)) out[k as SelectorName] = v.css;
  return out;
}
