// The QR payload string → an image (SVG data URL), drawn from qrcode-generator's modules.
import { useMemo } from 'react';
import qrcode from 'qrcode-generator';

export function qrSvg(text: string): string {
  const qr = qrcode(0, 'L');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const margin = 4;
  const size = n + margin * 2;
  let path = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) path += `M${c + margin} ${r + margin}h1v1h-1z`;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#111"/></svg>`;
}

export function QrImage({ value, size = 264, testId = 'wa-qr', alt = 'WhatsApp QR code: scan it with your phone' }: { value: string; size?: number; testId?: string; alt?: string }) {
  const src = useMemo(() => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrSvg(value))}`, [value]);
  return <img data-testid={testId} data-qr={value} src={src} width={size} height={size} alt={alt} className="rounded-md border border-stone-200 bg-white" />;
}
