"""The benchmark, its data generator and the scale, load, chaos and backup drills."""
