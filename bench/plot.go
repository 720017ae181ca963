package main

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// plot draws requests/s and p99 against connections, one line per case
// (of the floor's two runs, the faster, which the ratios use), both on log
// scales: the cases span
// from about a thousand to about ninety thousand requests a second.
func (rp *report) plot(path string) error {
	type series struct {
		name string
		rps  plotter.XYs
		p99  plotter.XYs
	}
	var all []*series
	byName := map[string]*series{}
	for _, r := range rp.results {
		if r.rps <= 0 || r.load.p99 <= 0 {
			continue
		}
		// Of the two floor runs, the one the ratios use.
		if r.kind == kindFloor && rp.floorFor(r.caseDef) != r {
			continue
		}
		name := r.series()
		s := byName[name]
		if s == nil {
			s = &series{name: name}
			byName[name] = s
			all = append(all, s)
		}
		s.rps = append(s.rps, plotter.XY{X: float64(r.conns), Y: r.rps})
		s.p99 = append(s.p99, plotter.XY{X: float64(r.conns), Y: float64(r.load.p99) / float64(time.Millisecond)})
	}
	if len(all) == 0 {
		return fmt.Errorf("nothing to plot")
	}

	conns := connsOf(rp)
	sort.Ints(conns)
	var ticks plot.ConstantTicks
	for _, n := range conns {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: fmt.Sprint(n)})
	}
	newPlot := func(title, ylabel string) *plot.Plot {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "connections"
		p.Y.Label.Text = ylabel
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = ticks
		p.X.Min = float64(conns[0]) * 0.8
		p.X.Max = float64(conns[len(conns)-1]) * 1.25
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
		p.Add(plotter.NewGrid())
		return p
	}
	thr := newPlot("Throughput (closed loop)", "requests/s")
	lat := newPlot("p99 latency", "ms")

	legends := []plot.Legend{plot.NewLegend(), plot.NewLegend()}
	for i, s := range all {
		style := draw.LineStyle{Color: plotutil.Color(i), Width: vg.Points(1.5), Dashes: plotutil.Dashes(i / 7)}
		glyph := draw.GlyphStyle{Color: plotutil.Color(i), Radius: vg.Points(3), Shape: plotutil.Shape(i)}
		var thumbs []plot.Thumbnailer
		for _, pts := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{thr, s.rps}, {lat, s.p99}} {
			l, sc, err := plotter.NewLinePoints(pts.xys)
			if err != nil {
				return err
			}
			l.LineStyle, sc.GlyphStyle = style, glyph
			pts.p.Add(l, sc)
			thumbs = []plot.Thumbnailer{l, sc}
		}
		lg := &legends[i*2/len(all)]
		lg.Add(s.name, thumbs...)
	}

	const w, h, legendH = 12 * vg.Inch, 7 * vg.Inch, 2 * vg.Inch
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	top := draw.Crop(dc, 0, 0, legendH, 0)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Inch / 4, PadTop: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	cs := plot.Align([][]*plot.Plot{{thr, lat}}, tiles, top)
	thr.Draw(cs[0][0])
	lat.Draw(cs[0][1])
	bottom := draw.Crop(dc, vg.Inch/2, 0, vg.Inch/8, -(h - legendH))
	for i := range legends {
		lg := &legends[i]
		lg.Top, lg.Left = true, true
		lg.TextStyle.Font.Size = vg.Points(10)
		lg.Padding = vg.Points(2)
		part := draw.Crop(bottom, vg.Length(i)*(w/2), -vg.Length(1-i)*(w/2), 0, 0)
		lg.Draw(part)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// logTicks labels 1, 2 and 5 times each power of ten, so a log axis that
// spans less than a decade still reads (plot.LogTicks labels only powers of
// ten).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		p := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := float64(m) * p
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = tickLabel(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

func tickLabel(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
