package org.microcert.simulator.report;

import java.util.List;
import java.util.Locale;

/** Minimal inline-SVG charts, so the HTML report needs no script and no network. */
final class SvgChart {

    private static final int W = 760;
    private static final int H = 260;
    private static final int LEFT = 64;
    private static final int RIGHT = 150;
    private static final int TOP = 16;
    private static final int BOTTOM = 36;

    /** One line: {@code ys[i]} at {@code xs[i]}. */
    record Series(String name, String color, double[] xs, double[] ys) {}

    /** One stacked bar segment. */
    record Segment(String name, String color, double value) {}

    /** One horizontal stacked bar. */
    record Bar(String label, List<Segment> segments) {}

    private SvgChart() {}

    static String lines(String xLabel, String yLabel, List<Series> series) {
        double xMax = 1;
        double yMax = 0;
        for (Series s : series) {
            for (double x : s.xs()) {
                xMax = Math.max(xMax, x);
            }
            for (double y : s.ys()) {
                yMax = Math.max(yMax, y);
            }
        }
        yMax = niceCeiling(yMax);
        StringBuilder sb = open(W, H);
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        for (int i = 0; i <= 4; i++) {
            double v = yMax * i / 4;
            double y = TOP + ph - ph * i / 4.0;
            sb.append(fmt("<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>", LEFT, y, LEFT + pw, y));
            sb.append(fmt("<text x='%d' y='%.1f' text-anchor='end' font-size='11'>%s</text>", LEFT - 6, y + 4,
                    num(v)));
        }
        for (int i = 0; i <= 5; i++) {
            double v = xMax * i / 5;
            double x = LEFT + pw * i / 5.0;
            sb.append(fmt("<text x='%.1f' y='%d' text-anchor='middle' font-size='11'>%s</text>", x, TOP + ph + 16,
                    num(v)));
        }
        sb.append(fmt("<text x='%d' y='%d' text-anchor='middle' font-size='12'>%s</text>", LEFT + pw / 2, H - 4,
                HtmlReport.esc(xLabel)));
        sb.append(fmt("<text x='14' y='%d' font-size='12' transform='rotate(-90 14 %d)' text-anchor='middle'>%s</text>",
                TOP + ph / 2, TOP + ph / 2, HtmlReport.esc(yLabel)));
        sb.append(fmt("<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>", LEFT, TOP, pw, ph));
        int legendY = TOP + 10;
        for (Series s : series) {
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < s.xs().length; i++) {
                double x = LEFT + pw * s.xs()[i] / xMax;
                double y = TOP + ph - (yMax == 0 ? 0 : ph * s.ys()[i] / yMax);
                pts.append(fmt("%.1f,%.1f ", x, y));
            }
            sb.append(fmt("<polyline fill='none' stroke='%s' stroke-width='1.8' points='%s'/>", s.color(), pts));
            sb.append(fmt("<rect x='%d' y='%d' width='12' height='3' fill='%s'/>", W - RIGHT + 12, legendY - 4,
                    s.color()));
            sb.append(fmt("<text x='%d' y='%d' font-size='11'>%s</text>", W - RIGHT + 30, legendY,
                    HtmlReport.esc(s.name())));
            legendY += 16;
        }
        return sb.append("</svg>").toString();
    }

    static String stackedBars(List<Bar> bars) {
        int rowH = 22;
        int h = TOP + bars.size() * rowH + BOTTOM;
        int left = 130;
        int pw = W - left - RIGHT;
        double max = 1;
        for (Bar b : bars) {
            max = Math.max(max, b.segments().stream().mapToDouble(Segment::value).sum());
        }
        StringBuilder sb = open(W, h);
        int y = TOP;
        for (Bar b : bars) {
            sb.append(fmt("<text x='%d' y='%d' text-anchor='end' font-size='11'>%s</text>", left - 6, y + 14,
                    HtmlReport.esc(b.label())));
            double x = left;
            for (Segment s : b.segments()) {
                double w = pw * s.value() / max;
                if (s.value() > 0) {
                    sb.append(fmt("<rect x='%.1f' y='%d' width='%.1f' height='%d' fill='%s'><title>%s: %s</title></rect>",
                            x, y + 2, Math.max(w, 1.5), rowH - 6, s.color(), HtmlReport.esc(s.name()),
                            num(s.value())));
                }
                x += w;
            }
            y += rowH;
        }
        int legendY = TOP + 10;
        for (Segment s : bars.isEmpty() ? List.<Segment>of() : bars.get(0).segments()) {
            sb.append(fmt("<rect x='%d' y='%d' width='12' height='8' fill='%s'/>", W - RIGHT + 12, legendY - 7,
                    s.color()));
            sb.append(fmt("<text x='%d' y='%d' font-size='11'>%s</text>", W - RIGHT + 30, legendY,
                    HtmlReport.esc(s.name())));
            legendY += 16;
        }
        return sb.append("</svg>").toString();
    }

    private static StringBuilder open(int w, int h) {
        return new StringBuilder(fmt("<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                + "viewBox='0 0 %d %d' font-family='sans-serif'>", w, h, w, h));
    }

    /** Rounds up to 1, 2 or 5 times a power of ten, so the axis has round labels. */
    static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (v <= m * p) {
                return m * p;
            }
        }
        return 10 * p;
    }

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.format(Locale.ROOT, "%,d", (long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) < 10 ? "%.2f" : "%.1f", v);
    }

    private static String fmt(String f, Object... args) {
        return String.format(Locale.ROOT, f, args);
    }
}
