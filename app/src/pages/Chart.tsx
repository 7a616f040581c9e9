import { formatAmount } from "@insurance-pool/client";

export interface Point {
  t: number;
  capital: number;
  rate?: number;
}

/** Capital (line) and premium rate (dots) over time, as SVG. */
export function Chart({ points, decimals }: { points: Point[]; decimals: number }) {
  if (points.length < 2) return <p className="label">Not enough history yet ({points.length} event).</p>;
  const [w, h, pad] = [900, 220, 40];
  const t0 = Math.min(...points.map((p) => p.t));
  const t1 = Math.max(...points.map((p) => p.t), t0 + 1);
  const cMax = Math.max(...points.map((p) => p.capital), 1);
  const rates = points.filter((p) => p.rate !== undefined) as Required<Point>[];
  const rMax = Math.max(...rates.map((p) => p.rate), 1);
  const x = (t: number) => pad + ((t - t0) / (t1 - t0)) * (w - 2 * pad);
  const y = (v: number, max: number) => h - pad - (v / max) * (h - 2 * pad);
  const line = points.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.capital, cMax).toFixed(1)}`).join(" ");
  return (
    <svg data-testid="chart" viewBox={`0 0 ${w} ${h}`} width="100%" role="img" aria-label="capital and rate over time">
      <rect x={pad} y={pad} width={w - 2 * pad} height={h - 2 * pad} fill="#f7f8fb" stroke="#e3e6eb" />
      <path d={line} fill="none" stroke="#3558e6" strokeWidth={2} />
      {rates.map((p, i) => (
        <circle key={i} cx={x(p.t)} cy={y(p.rate, rMax)} r={3} fill="#e6873a" />
      ))}
      <text x={pad} y={pad - 8} fontSize={12} fill="#3558e6">capital (max {formatAmount(BigInt(Math.round(cMax)), decimals)})</text>
      <text x={w - pad} y={pad - 8} fontSize={12} fill="#e6873a" textAnchor="end">rate (max {(rMax / 100).toFixed(2)} %)</text>
    </svg>
  );
}
