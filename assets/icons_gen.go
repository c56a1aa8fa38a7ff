//go:build ignore

// icons_gen draws the app and tray icons, so they can be redrawn without an
// image editor: go generate ./assets
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

func main() {
	blue := color.RGBA{0x1f, 0x6f, 0xd1, 0xff}
	write("icons/app.png", 256, blue, color.RGBA{})
	write("icons/tray_running.png", 64, blue, color.RGBA{0x2e, 0xb8, 0x4c, 0xff})
	write("icons/tray_stopped.png", 64, color.RGBA{0x8a, 0x8f, 0x98, 0xff}, color.RGBA{0xd9, 0x3b, 0x3b, 0xff})
}

// write draws a rounded square in bg with a white robot face (two eyes, a
// mouth, an antenna); a non-zero badge adds a status dot bottom right.
func write(name string, n int, bg, badge color.RGBA) {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	f := float64(n)
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			if inRounded(px, py, f*0.06, f*0.2, f*0.94, f*0.94, f*0.16) {
				img.Set(x, y, bg)
			}
			// antenna
			if math.Abs(px-f/2) < f*0.03 && py > f*0.08 && py < f*0.22 {
				img.Set(x, y, bg)
			}
			if math.Hypot(px-f/2, py-f*0.08) < f*0.06 {
				img.Set(x, y, bg)
			}
			// eyes
			if math.Hypot(px-f*0.35, py-f*0.5) < f*0.09 || math.Hypot(px-f*0.65, py-f*0.5) < f*0.09 {
				img.Set(x, y, white)
			}
			// mouth
			if inRounded(px, py, f*0.3, f*0.7, f*0.7, f*0.79, f*0.04) {
				img.Set(x, y, white)
			}
			if badge.A != 0 && math.Hypot(px-f*0.8, py-f*0.8) < f*0.2 {
				if math.Hypot(px-f*0.8, py-f*0.8) < f*0.15 {
					img.Set(x, y, badge)
				} else {
					img.Set(x, y, white)
				}
			}
		}
	}
	out, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	if err := png.Encode(out, img); err != nil {
		log.Fatal(err)
	}
}

func inRounded(x, y, x0, y0, x1, y1, r float64) bool {
	if x < x0 || x > x1 || y < y0 || y > y1 {
		return false
	}
	cx := math.Max(x0+r, math.Min(x, x1-r))
	cy := math.Max(y0+r, math.Min(y, y1-r))
	return math.Hypot(x-cx, y-cy) <= r
}
