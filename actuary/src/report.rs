//! The governance report: Markdown with three SVG plots (plotters).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use crate::{Analysis, AnalysisInput};

type PlotResult = Result<(), String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("plot: {e:?}")
}

/// Base units → tokens for display.
fn tokens(x: f64, decimals: u8) -> f64 {
    x / 10f64.powi(decimals as i32)
}

/// Capital fan chart: 5-95 % and 25-75 % bands and the median over the horizon.
pub fn plot_fan(path: &Path, a: &Analysis, decimals: u8) -> PlotResult {
    let fan = &a.summary.fan;
    let day = |t: i64| t as f64 / 86_400.0;
    let x_max = day(fan.last().map(|f| f.0).unwrap_or(1)).max(1.0);
    let y_max = fan
        .iter()
        .map(|f| tokens(f.1[4], decimals))
        .fold(0.0, f64::max)
        * 1.05;
    let y_min = fan
        .iter()
        .map(|f| tokens(f.1[0], decimals))
        .fold(f64::INFINITY, f64::min)
        .min(y_max)
        * 0.95;
    let root = SVGBackend::new(path, (860, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Pool capital over the horizon (Monte Carlo fan)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..x_max, y_min..y_max.max(y_min + 1.0))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("day")
        .y_desc("capital (tokens)")
        .draw()
        .map_err(err)?;
    for (lo, hi, alpha, label) in [(0, 4, 0.15, "5-95 %"), (1, 3, 0.3, "25-75 %")] {
        let mut pts: Vec<(f64, f64)> = fan
            .iter()
            .map(|f| (day(f.0), tokens(f.1[lo], decimals)))
            .collect();
        pts.extend(
            fan.iter()
                .rev()
                .map(|f| (day(f.0), tokens(f.1[hi], decimals))),
        );
        chart
            .draw_series(std::iter::once(Polygon::new(pts, BLUE.mix(alpha))))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 16, y + 5)], BLUE.mix(alpha).filled())
            });
    }
    chart
        .draw_series(LineSeries::new(
            fan.iter().map(|f| (day(f.0), tokens(f.1[2], decimals))),
            BLUE.stroke_width(2),
        ))
        .map_err(err)?
        .label("median")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// Severity: empirical survival `1 − F_n(x)` against the fitted survival, log-log.
pub fn plot_severity(path: &Path, input: &AnalysisInput, a: &Analysis) -> PlotResult {
    let d = input.decimals;
    let mut xs: Vec<f64> = input
        .history
        .events
        .iter()
        .map(|e| e.amount as f64)
        .collect();
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    let lo = tokens(xs[0], d) * 0.5;
    let hi = tokens(xs[xs.len() - 1], d) * 3.0;
    let root = SVGBackend::new(path, (860, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Loss severity: empirical vs fitted survival (log-log)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d((lo..hi).log_scale(), (0.5 / n..1.0f64).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("loss (tokens)")
        .y_desc("P(loss > x)")
        .draw()
        .map_err(err)?;
    let sev = a.fit.severity;
    let scale = 10f64.powi(d as i32);
    let grid: Vec<(f64, f64)> = (0..=200)
        .map(|i| lo * (hi / lo).powf(i as f64 / 200.0))
        .map(|x| (x, 1.0 - sev.cdf(x * scale)))
        .filter(|&(_, s)| s >= 0.5 / n)
        .collect();
    chart
        .draw_series(LineSeries::new(grid, RED.stroke_width(2)))
        .map_err(err)?
        .label("fitted")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED.stroke_width(2)));
    chart
        .draw_series(xs.iter().enumerate().map(|(i, &x)| {
            Circle::new((tokens(x, d), (n - i as f64 - 0.5) / n), 3, BLACK.filled())
        }))
        .map_err(err)?
        .label("observed")
        .legend(|(x, y)| Circle::new((x + 8, y), 3, BLACK.filled()));
    if let crate::dist::Severity::Spliced { threshold, .. } = sev {
        let u = tokens(threshold, d);
        chart
            .draw_series(LineSeries::new(
                vec![(u, 0.5 / n), (u, 1.0)],
                BLACK.mix(0.4),
            ))
            .map_err(err)?
            .label("POT threshold")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLACK.mix(0.4)));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// Ruin probability against the base rate, the target and the recommendation.
pub fn plot_ruin(path: &Path, a: &Analysis) -> PlotResult {
    let pts: Vec<(f64, f64)> = a
        .sweep
        .iter()
        .map(|(r, s)| (*r as f64, s.ruin_probability * 100.0))
        .collect();
    let x_max = pts.iter().map(|p| p.0).fold(1.0, f64::max);
    let y_max = pts
        .iter()
        .map(|p| p.1)
        .fold(a.recommendation.target * 200.0, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, (860, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "One-horizon ruin probability vs base rate",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..x_max, 0f64..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("base rate (bps per coverage term)")
        .y_desc("ruin probability (%)")
        .draw()
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(pts.clone(), BLUE.stroke_width(2)))
        .map_err(err)?
        .label("simulated")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(pts.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))
        .map_err(err)?;
    let target = a.recommendation.target * 100.0;
    chart
        .draw_series(LineSeries::new(
            vec![(0.0, target), (x_max, target)],
            RED.mix(0.6),
        ))
        .map_err(err)?
        .label("target")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED.mix(0.6)));
    if let (Some(rate), Some(r)) = (
        a.recommendation.base_rate,
        a.recommendation.ruin_at_base_rate,
    ) {
        chart
            .draw_series(std::iter::once(Cross::new(
                (rate as f64, r * 100.0),
                8,
                RED.stroke_width(3),
            )))
            .map_err(err)?
            .label(format!("recommended: {rate} bps"))
            .legend(|(x, y)| Cross::new((x + 8, y), 5, RED.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

fn fmt_tokens(x: f64, decimals: u8) -> String {
    format!("{:.2}", tokens(x, decimals))
}

/// Writes `report.md`, the three SVGs and `analysis.json` into `dir`; returns the
/// files written.
pub fn write_report(
    dir: &Path,
    input: &AnalysisInput,
    a: &Analysis,
) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let files = [
        dir.join("capital-fan.svg"),
        dir.join("severity.svg"),
        dir.join("ruin-vs-base-rate.svg"),
        dir.join("analysis.json"),
        dir.join("report.md"),
    ];
    plot_fan(&files[0], a, input.decimals)?;
    plot_severity(&files[1], input, a)?;
    plot_ruin(&files[2], a)?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "fit": a.fit, "simulation": a.summary, "recommendation": a.recommendation,
        "sweep": a.sweep.iter().map(|(r, s)| (r, s.ruin_probability)).collect::<Vec<_>>(),
        "model": input.model,
    }))
    .map_err(|e| e.to_string())?;
    std::fs::write(&files[3], json).map_err(|e| e.to_string())?;
    std::fs::write(&files[4], markdown(input, a)).map_err(|e| e.to_string())?;
    Ok(files.to_vec())
}

/// The Markdown report.
pub fn markdown(input: &AnalysisInput, a: &Analysis) -> String {
    let d = input.decimals;
    let m = &input.model;
    let f = &a.fit;
    let s = &a.summary;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Actuarial report{}\n",
        input
            .label
            .as_deref()
            .map(|l| format!(": {l}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "Seed {}, {} paths, horizon {:.0} days. Re-running with the same inputs and seed gives the same numbers on any thread count.\n",
        s.seed,
        s.paths,
        s.horizon_secs as f64 / 86_400.0
    );
    let _ = writeln!(o, "## Pool\n\n| parameter | value |\n|---|---|");
    for (k, v) in [
        ("capital (tokens)", fmt_tokens(m.capital as f64, d)),
        ("exposure (tokens)", fmt_tokens(m.exposure as f64, d)),
        (
            "curve base / slope1 / kink / slope2 (bps)",
            format!(
                "{} / {} / {} / {}",
                m.curve.base_rate, m.curve.slope1, m.curve.kink, m.curve.slope2
            ),
        ),
        (
            "curve min / max rate (bps)",
            format!("{} / {}", m.curve.min_rate, m.curve.max_rate),
        ),
        (
            "coverage term (days)",
            format!("{:.1}", m.coverage_duration as f64 / 86_400.0),
        ),
        ("protocol fee (bps)", m.protocol_fee_bps.to_string()),
        (
            "per-event cap (tokens)",
            fmt_tokens(m.per_event_cap as f64, d),
        ),
        (
            "per-epoch cap (tokens) / epoch (h)",
            format!(
                "{} / {:.1}",
                fmt_tokens(m.per_epoch_cap as f64, d),
                m.epoch_length as f64 / 3_600.0
            ),
        ),
        (
            "solvency floor (tokens)",
            fmt_tokens((m.min_reserve + m.reserved_for_claims) as f64, d),
        ),
        (
            "net premium per year now (tokens)",
            fmt_tokens(m.annual_premium_now() as f64, d),
        ),
        (
            "volume per day (tokens)",
            fmt_tokens(m.volume_per_day as f64, d),
        ),
        (
            "volume curve base / loss slope / min / max / loss decay per day (bps)",
            format!(
                "{} / {} / {} / {} / {}",
                m.volume.base_rate,
                m.volume.loss_slope,
                m.volume.min_rate,
                m.volume.max_rate,
                m.volume.loss_decay_per_day
            ),
        ),
        (
            "volume rate now (bps) / loss index (tokens)",
            format!(
                "{} / {}",
                if m.volume_per_day > 0 {
                    m.initial_volume_rate().to_string()
                } else {
                    "-".to_string()
                },
                fmt_tokens(m.loss_index as f64, d)
            ),
        ),
        (
            "net volume income per year now (tokens)",
            fmt_tokens(m.annual_volume_income_now() as f64, d),
        ),
    ] {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    let _ = writeln!(o, "\n## Loss model\n");
    let _ = writeln!(
        o,
        "{} losses over {:.2} years. Poisson rate {:.2} ± {:.2} per year.",
        f.events, f.years, f.poisson_rate, f.poisson_rate_se
    );
    match f.negative_binomial {
        Some(nb) => {
            let _ = writeln!(
                o,
                "30-day counts are over-dispersed (mean {:.2}, variance {:.2}); negative binomial r = {:.2}, likelihood-ratio p-value vs Poisson {:.4}.",
                nb.mean_per_period, nb.variance_per_period, nb.r, nb.p_value_vs_poisson
            );
        }
        None => {
            let _ = writeln!(o, "30-day counts show no over-dispersion: Poisson.");
        }
    }
    let _ = writeln!(
        o,
        "Simulated frequency: `{}`.\n",
        serde_json::to_string(&f.frequency).unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "Severity: `{}`.\n",
        serde_json::to_string(&f.severity).unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "Goodness of fit: KS D = {:.4} (bootstrap p = {:.3}), Anderson-Darling A² = {:.3} (bootstrap p = {:.3}).\n",
        f.ks, f.ks_p_value, f.ad, f.ad_p_value
    );
    let _ = writeln!(
        o,
        "| parameter | estimate | 95 % bootstrap interval |\n|---|---|---|"
    );
    for (name, v, lo, hi) in &f.intervals {
        let _ = writeln!(o, "| {name} | {v:.4} | [{lo:.4}, {hi:.4}] |");
    }
    let _ = writeln!(o, "\n![severity](severity.svg)\n");
    let _ = writeln!(
        o,
        "## Solvency (Monte Carlo{})\n",
        if input.parameter_uncertainty {
            ", parameter uncertainty included"
        } else {
            ""
        }
    );
    let _ = writeln!(o, "| measure | value |\n|---|---|");
    for (k, v) in [
        (
            "ruin probability",
            format!(
                "{:.3} % ± {:.3} %",
                s.ruin_probability * 100.0,
                s.ruin_std_error * 100.0
            ),
        ),
        (
            "capital loss VaR 99.5 % (tokens)",
            fmt_tokens(s.capital_loss_var_995, d),
        ),
        (
            "capital loss ES 99.5 % (tokens)",
            fmt_tokens(s.capital_loss_es_995, d),
        ),
        (
            "payouts VaR 99.5 % / ES 99.5 % (tokens)",
            format!(
                "{} / {}",
                fmt_tokens(s.payouts_var_995, d),
                fmt_tokens(s.payouts_es_995, d)
            ),
        ),
        ("mean losses per path", format!("{:.2}", s.mean_losses)),
        (
            "mean premiums / volume income / payouts (tokens)",
            format!(
                "{} / {} / {}",
                fmt_tokens(s.mean_premiums, d),
                fmt_tokens(s.mean_volume_income, d),
                fmt_tokens(s.mean_payouts, d)
            ),
        ),
        (
            "mean uncovered (tokens; of which capital-short)",
            format!(
                "{} ({})",
                fmt_tokens(s.mean_uncovered, d),
                fmt_tokens(s.mean_unmet_by_capital, d)
            ),
        ),
    ] {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    let _ = writeln!(
        o,
        "\n| quantile | payouts (tokens) | uncovered (tokens) |\n|---|---|---|"
    );
    for (i, q) in crate::sim::OUTCOME_LEVELS.iter().enumerate() {
        let _ = writeln!(
            o,
            "| {:.1} % | {} | {} |",
            q * 100.0,
            fmt_tokens(s.payout_quantiles[i], d),
            fmt_tokens(s.uncovered_quantiles[i], d)
        );
    }
    let _ = writeln!(o, "\n![capital fan](capital-fan.svg)\n");
    let _ = writeln!(
        o,
        "## Recommendation\n\n{}\n",
        crate::recommendation_text(input, a)
    );
    let _ = writeln!(o, "![ruin vs base rate](ruin-vs-base-rate.svg)\n");
    let _ = writeln!(
        o,
        "## Method\n\nFrequency by maximum likelihood (Poisson; negative binomial on 30-day counts when its likelihood-ratio test rejects Poisson at 5 %). Severity: lognormal body (MLE truncated at the threshold) spliced with a generalized Pareto tail over the threshold (peaks over threshold, MLE). Goodness-of-fit p-values and parameter intervals by parametric bootstrap ({} replicates, refitting each). Each path applies the program's own `cover_amount`, `current_epoch_start`, `curve_rate` (the premium rate is the curve's rate at the utilisation, as every purchase pays it: no smoothing, no remembered rate) and `premium_for`; volume income (a constant volume per day) is charged each day at the volume curve's rate (`volume_target_rate` on the day's free capital and the path's loss index: each simulated loss adds `min(loss, per-event cap)`, and `decayed_loss` forgets `loss_decay_per_day` of it a day; no smoothing; `volume_fee`), net of the protocol fee, and counted as capital when paid (the program earns it over 7 days); the recommended base rate is the premium needed on top of that income; ruin is the first loss whose capped payout the capital above the solvency floor cannot meet.",
        f.replicates.len()
    );
    o
}
