// Delivery ticks of an outgoing message: clock (pending), one tick (sent), two (delivered), two blue
// (read / played), a red mark (failed).
function ackLabel(ack: number): string {
  if (ack < 0) return 'Failed to send';
  if (ack === 0) return 'Pending';
  if (ack === 1) return 'Sent';
  if (ack === 2) return 'Delivered';
  if (ack === 3) return 'Read';
  return 'Played';
}

export function Ticks({ ack }: { ack: number }) {
  const label = ackLabel(ack);
  const common = { 'data-testid': 'ack', 'data-ack': ack, role: 'img', 'aria-label': label, title: label } as const;
  if (ack < 0) {
    return (
      <span {...common} className="inline-flex size-4 items-center justify-center rounded-full bg-red-600 text-[10px] font-bold leading-none text-white">
        !
      </span>
    );
  }
  if (ack === 0) {
    return (
      <svg {...common} viewBox="0 0 16 16" className="size-3.5 text-stone-400" fill="none" stroke="currentColor" strokeWidth="1.5">
        <circle cx="8" cy="8" r="6" />
        <path d="M8 4.5V8l2.5 1.5" strokeLinecap="round" />
      </svg>
    );
  }
  const blue = ack >= 3;
  return (
    <svg {...common} viewBox="0 0 18 12" className={blue ? 'h-3 w-4 text-sky-500' : 'h-3 w-4 text-stone-400'} fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
      {ack === 1 ? <path d="M3 6.5l3 3 7-7" /> : (
        <>
          <path d="M1 6.5l3 3 7-7" />
          <path d="M7 9.5l7-7" />
        </>
      )}
    </svg>
  );
}
