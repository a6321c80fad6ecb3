// Adaptive playback of a video's HLS ladder: master.m3u8 lists the rungs (360p, 720p…), each a
// fragmented MP4 whose media playlist addresses its segments by byte range. Where the browser has
// Media Source Extensions, this plays them itself: it measures the throughput of every segment it
// fetches, picks the highest rung the link sustains, and switches at segment boundaries (the
// rungs' keyframes line up); a quality menu overrides the choice. Where it has no MSE but plays
// HLS natively (Safari on an older iPhone), the browser is given the master playlist. Elsewhere
// the page keeps its progressive file.
(() => {
  "use strict";

  const AHEAD_SECONDS = 30;     // buffered ahead of the playhead before fetching pauses
  const BEHIND_SECONDS = 30;    // kept behind it; older media is removed to bound memory
  const SAFETY = 0.8;           // a rung is chosen when its peak rate fits in this share of the estimate
  const LOW_BUFFER_SECONDS = 4; // below this, never switch up

  const text = async (url, signal) => {
    const response = await fetch(url, { credentials: "same-origin", signal });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.text();
  };

  const attributes = (list) => {
    const found = {};
    for (const match of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) found[match[1]] = match[2].replace(/^"|"$/g, "");
    return found;
  };

  // The master playlist's variants, lowest rate first.
  const parseMaster = (body, base) => {
    const lines = body.split("\n").map((line) => line.trim());
    const variants = [];
    lines.forEach((line, i) => {
      if (!line.startsWith("#EXT-X-STREAM-INF:")) return;
      const a = attributes(line.slice(18));
      const [width, height] = (a.RESOLUTION || "0x0").split("x").map(Number);
      const uri = new URL(lines[i + 1], base).href;
      variants.push({ name: uri.split("/").pop().replace(/\.m3u8$/, ""), bandwidth: Number(a.BANDWIDTH) || 0, width, height, codecs: a.CODECS || "", uri });
    });
    return variants.sort((x, y) => x.bandwidth - y.bandwidth);
  };

  // A media playlist: its initialization range and its segments' times and ranges.
  const parseMedia = (body, base) => {
    const lines = body.split("\n").map((line) => line.trim());
    let init = null;
    const segments = [];
    let duration = null;
    let time = 0;
    lines.forEach((line, i) => {
      if (line.startsWith("#EXT-X-MAP:")) {
        const a = attributes(line.slice(11));
        const [length, offset] = a.BYTERANGE.split("@").map(Number);
        init = { url: new URL(a.URI, base).href, from: offset, to: offset + length - 1 };
      } else if (line.startsWith("#EXTINF:")) {
        duration = parseFloat(line.slice(8));
      } else if (line.startsWith("#EXT-X-BYTERANGE:") && duration !== null) {
        const [length, offset] = line.slice(17).split("@").map(Number);
        segments.push({ start: time, duration, url: new URL(lines[i + 1], base).href, from: offset, to: offset + length - 1 });
        time += duration;
        duration = null;
      }
    });
    return { init, segments, duration: time };
  };

  class AdaptivePlayer {
    constructor(video, masterUrl, menu) {
      this.video = video;
      this.masterUrl = new URL(masterUrl, window.location.href).href;
      this.menu = menu;
      this.manual = null;        // a variant the viewer chose, or null for automatic
      this.current = null;       // the variant whose init segment the buffer holds
      this.next = 0;             // the next segment to append
      this.estimate = Number(window.sessionStorage.getItem("hub.throughput")) || 0;  // bits per second
      this.fetching = null;      // the AbortController of the fetch in flight
      this.epoch = 0;            // bumped by a seek or a choice in the menu: work begun before is stale
      this.flushFrom = null;     // a time from which the buffer is to be emptied (a choice in the menu)
      this.wake = null;
    }

    async start() {
      const MediaSourceType = window.ManagedMediaSource || window.MediaSource;
      const variants = parseMaster(await text(this.masterUrl), this.masterUrl);
      this.variants = variants.filter((v) => MediaSourceType && MediaSourceType.isTypeSupported(`video/mp4; codecs="${v.codecs}"`));
      if (!this.variants.length) return false;
      this.mediaSource = new MediaSourceType();
      // ManagedMediaSource plays only when remote playback is off.
      this.video.disableRemotePlayback = !!window.ManagedMediaSource;
      this.video.removeAttribute("src");
      this.video.src = URL.createObjectURL(this.mediaSource);
      await new Promise((resolve) => this.mediaSource.addEventListener("sourceopen", resolve, { once: true }));
      const first = this.choose();
      await this.load(first);
      this.mediaSource.duration = first.playlist.duration;
      this.buffer = this.mediaSource.addSourceBuffer(`video/mp4; codecs="${first.codecs}"`);
      this.video.addEventListener("seeking", () => this.seek());
      this.video.addEventListener("timeupdate", () => this.poke());
      this.buildMenu();
      this.pump().catch((error) => console.warn("adaptive playback stopped:", error));
      return true;
    }

    async load(variant) {
      if (!variant.playlist) variant.playlist = parseMedia(await text(variant.uri), variant.uri);
      return variant.playlist;
    }

    // The highest rung whose peak rate fits the measured throughput; the lowest before any
    // measurement, so the first frame comes quickly on any link.
    choose() {
      if (this.manual) return this.manual;
      let pick = this.variants[0];
      for (const v of this.variants) if (v.bandwidth <= this.estimate * SAFETY) pick = v;
      if (this.current && pick.bandwidth > this.current.bandwidth && this.ahead() < LOW_BUFFER_SECONDS) return this.current;
      return pick;
    }

    ahead() {
      const t = this.video.currentTime;
      const ranges = this.video.buffered;
      for (let i = 0; i < ranges.length; i++) if (ranges.start(i) <= t + 0.1 && t < ranges.end(i)) return ranges.end(i) - t;
      return 0;
    }

    // Two moving averages of per-segment throughput, one quick and one slow; the lower decides,
    // so a drop is believed at once and a burst only once it lasts.
    measure(bytes, seconds) {
      if (seconds <= 0) return;
      const sample = (bytes * 8) / seconds;
      this.fast = this.fast === undefined ? sample : 0.5 * this.fast + 0.5 * sample;
      this.slow = this.slow === undefined ? sample : 0.85 * this.slow + 0.15 * sample;
      this.estimate = Math.min(this.fast, this.slow);
      window.sessionStorage.setItem("hub.throughput", String(Math.round(this.estimate)));
    }

    async range(part) {
      this.fetching = new AbortController();
      const started = performance.now();
      // Past the HTTP cache: a segment found there would measure as a link of hundreds of
      // Mbit/s, and the player would climb to a rung the link cannot carry.
      const response = await fetch(part.url, {
        credentials: "same-origin", cache: "no-store", headers: { Range: `bytes=${part.from}-${part.to}` }, signal: this.fetching.signal,
      });
      if (!response.ok) throw new Error(`${part.url}: ${response.status}`);
      const bytes = await response.arrayBuffer();
      this.fetching = null;
      this.measure(bytes.byteLength, (performance.now() - started) / 1000);
      return bytes;
    }

    // Only the pump appends and removes, one operation at a time, as a SourceBuffer requires.
    append(bytes) {
      return new Promise((resolve, reject) => {
        const done = () => { this.buffer.removeEventListener("error", failed); resolve(); };
        const failed = () => { this.buffer.removeEventListener("updateend", done); reject(new Error("the browser refused a segment")); };
        this.buffer.addEventListener("updateend", done, { once: true });
        this.buffer.addEventListener("error", failed, { once: true });
        try {
          this.buffer.appendBuffer(bytes);
        } catch (error) {  // QuotaExceededError: the buffer is full
          this.buffer.removeEventListener("updateend", done);
          this.buffer.removeEventListener("error", failed);
          reject(error);
        }
      });
    }

    remove(from, to) {
      if (to <= from) return Promise.resolve();
      return new Promise((resolve) => {
        this.buffer.addEventListener("updateend", resolve, { once: true });
        this.buffer.remove(from, to);
      });
    }

    // The segment that holds time t.
    index(t) {
      const segments = this.current.playlist.segments;
      const i = segments.findIndex((s) => t < s.start + s.duration);
      return i < 0 ? segments.length : i;
    }

    // A seek outside what is buffered drops the fetch in flight; the pump then starts from the
    // playhead's segment.
    seek() {
      if (!this.current || this.ahead() > 0.5) return;
      this.epoch += 1;
      if (this.fetching) this.fetching.abort();
      this.poke();
    }

    poke() { if (this.wake) { this.wake(); this.wake = null; } }

    sleep(ms) {
      return new Promise((resolve) => {
        this.wake = resolve;
        window.setTimeout(() => { if (this.wake === resolve) this.wake = null; resolve(); }, ms);
      });
    }

    async pump() {
      for (;;) {
        const segments = this.current ? this.current.playlist.segments : null;
        if (this.flushFrom !== null) {
          const from = this.flushFrom;
          this.flushFrom = null;
          await this.remove(from, this.mediaSource.duration);
        }
        // The playhead outside the buffer and away from the next segment (a seek, or a start at
        // #t=): fetch where it is. A playhead waiting just short of the next segment (a stall, a
        // few milliseconds of rounding at a boundary) is not moved, or it would fetch a segment
        // it has again and again.
        if (segments && this.ahead() === 0) {
          const t = this.video.currentTime;
          const upcoming = segments[this.next];
          const behind = upcoming ? t < upcoming.start - 0.25 : t < segments[segments.length - 1].start;
          const beyond = upcoming && t >= upcoming.start + upcoming.duration;
          if (behind || beyond) this.next = this.index(t);
        }
        if (this.ahead() > AHEAD_SECONDS || (segments && this.next >= segments.length)) {
          if (segments && this.next >= segments.length && this.mediaSource.readyState === "open" && !this.buffer.updating) {
            this.mediaSource.endOfStream();
          }
          await this.sleep(500);
          continue;
        }
        const t = this.video.currentTime;
        if (this.video.buffered.length && this.video.buffered.start(0) < t - BEHIND_SECONDS * 2) {
          await this.remove(0, t - BEHIND_SECONDS);
        }
        const variant = this.choose();
        try {
          if (variant !== this.current) {
            const playlist = await this.load(variant);
            const mime = `video/mp4; codecs="${variant.codecs}"`;
            if (this.current && this.buffer.changeType) this.buffer.changeType(mime);
            await this.append(await this.range(playlist.init));
            this.current = variant;
            this.video.dataset.rendition = variant.name;
            this.updateMenu();
          }
          const epoch = this.epoch;
          const index = this.next;
          const bytes = await this.range(this.current.playlist.segments[index]);
          if (epoch !== this.epoch) continue;  // a seek or the menu moved on meanwhile
          await this.append(bytes);
          if (epoch === this.epoch) this.next = index + 1;
        } catch (error) {
          if (error.name === "AbortError") continue;  // a seek or a choice in the menu
          if (error.name === "QuotaExceededError") { await this.remove(0, this.video.currentTime - 5); continue; }
          console.warn("adaptive playback:", error);
          await this.sleep(1000);  // a network blip: try again
        }
      }
    }

    buildMenu() {
      if (!this.menu) return;
      const select = this.menu.querySelector("select");
      select.replaceChildren(new Option("Auto", ""), ...this.variants.slice().reverse().map((v) => new Option(v.name, v.name)));
      select.addEventListener("change", () => {
        this.manual = this.variants.find((v) => v.name === select.value) || null;
        if (!this.current) return;
        // Played from the next segment on: what is buffered past it is emptied and fetched again.
        const segments = this.current.playlist.segments;
        const keep = Math.min(this.index(this.video.currentTime) + 1, segments.length);
        this.epoch += 1;
        if (this.fetching) this.fetching.abort();
        this.next = keep;
        if (keep < segments.length) this.flushFrom = segments[keep].start;
        this.poke();
      });
      this.menu.hidden = false;
    }

    updateMenu() {
      if (!this.menu) return;
      this.menu.querySelector("select").options[0].text = this.manual ? "Auto" : `Auto (${this.current.name})`;
    }
  }

  window.hubAdaptive = {
    // Plays `masterUrl` in `video`; false when neither MSE nor native HLS can, and the page keeps its file.
    async attach(video, masterUrl, menu) {
      if (window.ManagedMediaSource || window.MediaSource) {
        try {
          const player = new AdaptivePlayer(video, masterUrl, menu);
          if (await player.start()) { window.hubAdaptive.player = player; return true; }
        } catch (error) {
          console.warn("adaptive playback unavailable:", error);
        }
        return false;
      }
      if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = masterUrl;
        return true;
      }
      return false;
    },
  };
})();
