// Small icons as inline SVG elements (no icon font, no emoji font needed, nothing the CSP forbids).
const common = {
  width: 12,
  height: 12,
  viewBox: "0 0 24 24",
  fill: "none",
  stroke: "currentColor",
  strokeWidth: 2,
  strokeLinecap: "round" as const,
  strokeLinejoin: "round" as const,
};

export function PinIcon({ label }: { label: string }) {
  return (
    <svg {...common} role="img" aria-label={label}>
      <path d="M12 17v5M9 3h6l-1 7 4 3v2H6v-2l4-3z" />
    </svg>
  );
}

export function MutedIcon({ label }: { label: string }) {
  return (
    <svg {...common} role="img" aria-label={label}>
      <path d="M11 5 6 9H2v6h4l5 4zM23 9l-6 6M17 9l6 6" />
    </svg>
  );
}
