// supervisord-mcp dashboard: live updates (Server-Sent Events), log follow and
// in-place actions. The pages work without it. Text from the daemon is only ever
// set with textContent, never parsed as HTML.
'use strict';
(function () {
  const csrf = () => {
    const m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.content : '';
  };
  const ago = (s) => {
    s = Math.max(0, s);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd ' + Math.floor((s % 86400) / 3600) + 'h';
  };
  const key = (t, n) => t + '\u0000' + n;
  // Event streams hold a connection each (a browser keeps 6 per server): closed
  // as soon as the page is left, and a page shown again from the cache reloads.
  const sources = new Set();
  const open = (url) => {
    const es = new EventSource(url);
    sources.add(es);
    return es;
  };
  window.addEventListener('pagehide', () => sources.forEach((es) => es.close()));
  window.addEventListener('pageshow', (ev) => { if (ev.persisted) window.location.reload(); });

  // Every row (or the process page's section) by target and name.
  const rows = new Map();
  document.querySelectorAll('[data-target][data-name]').forEach((r) => rows.set(key(r.dataset.target, r.dataset.name), r));
  // Counts by state, per target, as the server counted them.
  const counts = new Map();
  document.querySelectorAll('td.counts[data-target]').forEach((c) => {
    const m = new Map();
    c.textContent.split(' · ').forEach((part) => {
      const [n, s] = part.split(' ');
      if (s) m.set(s, Number(n));
    });
    counts.set(c.dataset.target, { cell: c, m: m });
  });
  const order = ['RUNNING', 'STARTING', 'BACKOFF', 'STOPPING', 'STOPPED', 'EXITED', 'FATAL', 'UNKNOWN'];
  const recount = (t, from, to) => {
    const c = counts.get(t);
    if (!c || from === to) return;
    if (from) c.m.set(from, Math.max(0, (c.m.get(from) || 0) - 1));
    if (to) c.m.set(to, (c.m.get(to) || 0) + 1);
    const parts = order.filter((s) => c.m.get(s) > 0).map((s) => c.m.get(s) + ' ' + s);
    c.cell.textContent = parts.length ? parts.join(' · ') : 'no process';
  };

  const tick = (row) => {
    const u = row.querySelector('.uptime');
    if (!u || row.dataset.up === undefined) return;
    if (row.dataset.up === '') { u.textContent = ''; return; }
    u.textContent = ago(Number(row.dataset.up) + Math.floor((Date.now() - Number(row.dataset.upAt)) / 1000));
  };
  const badge = (state) => {
    const span = document.createElement('span');
    span.className = 'st st-' + state;
    span.textContent = state;
    return span;
  };
  const setState = (row, d) => {
    const cell = row.querySelector('.state');
    if (cell) cell.replaceChildren(badge(d.state));
    const pid = row.querySelector('.pid');
    if (pid) pid.textContent = d.pid > 0 ? String(d.pid) : '';
    const exit = row.querySelector('.exit');
    if (exit) exit.textContent = String(d.exit);
    row.dataset.state = d.state;
    row.dataset.up = d.up === null || d.up === undefined ? '' : String(d.up);
    row.dataset.upAt = String(Date.now());
    tick(row);
  };
  setInterval(() => rows.forEach(tick), 1000);

  // Live states.
  if (window.EventSource && rows.size > 0) {
    const page = document.getElementById('process');
    const url = page
      ? '/events?t=' + encodeURIComponent(page.dataset.target) + '&n=' + encodeURIComponent(page.dataset.name)
      : '/events';
    const es = open(url);
    es.addEventListener('state', (ev) => {
      const d = JSON.parse(ev.data);
      recount(d.t, d.from, d.state);
      const row = rows.get(key(d.t, d.n));
      if (row) setState(row, d);
    });
    es.addEventListener('processes', () => {
      if (!page) setTimeout(() => window.location.reload(), 500);
    });
    document.body.dataset.live = 'on';
  }

  // Log follow.
  document.querySelectorAll('input.follow').forEach((box) => {
    let es = null;
    const pre = box.closest('section').querySelector('pre.lines');
    const start = () => {
      const q = new URLSearchParams({ t: box.dataset.t, n: box.dataset.n, ch: box.dataset.ch, from: box.dataset.from });
      es = open('/events/log?' + q.toString());
      es.addEventListener('lines', (ev) => {
        const d = JSON.parse(ev.data);
        if (d.reset) pre.textContent = '';
        pre.appendChild(document.createTextNode(d.lines.join('\n') + '\n'));
        while (pre.textContent.length > 200000 && pre.firstChild) pre.removeChild(pre.firstChild);
        pre.scrollTop = pre.scrollHeight;
      });
    };
    box.addEventListener('change', () => {
      if (box.checked) start(); else if (es) { es.close(); sources.delete(es); es = null; }
    });
    if (box.checked) start();
  });

  // Actions in place: confirm, then each target's outcome as it comes.
  const progress = document.getElementById('progress');
  document.querySelectorAll('a.act').forEach((a) => {
    a.addEventListener('click', async (ev) => {
      ev.preventDefault();
      const { op, t, n } = a.dataset;
      if (!window.confirm(op + ' ' + n + ' on ' + t.split(',').join(', ') + '?')) return;
      const box = document.createElement('div');
      box.className = 'run';
      const head = document.createElement('p');
      head.textContent = op + ' ' + n + ' on ' + t + ': …';
      const list = document.createElement('ul');
      box.append(head, list);
      if (progress) progress.prepend(box);
      const items = new Map();
      const item = (target) => {
        if (!items.has(target)) {
          const li = document.createElement('li');
          list.appendChild(li);
          items.set(target, li);
        }
        return items.get(target);
      };
      try {
        const r = await fetch('/action', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'application/x-ndjson', 'X-CSRF-Token': csrf() },
          body: new URLSearchParams({ op: op, t: t, n: n, csrf: csrf() }).toString(),
        });
        if (!r.ok || !r.body) {
          head.textContent = op + ' ' + n + ': ' + (await r.text()).trim();
          head.className = 'error';
          return;
        }
        const reader = r.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line) continue;
            const d = JSON.parse(line);
            if (d.target !== undefined) {
              const li = item(d.target);
              li.className = d.ok === undefined ? 'pending' : (d.ok ? 'ok' : 'error');
              li.textContent = d.target + ': ' + d.text;
            } else if (d.summary !== undefined) {
              head.textContent = op + ' ' + n + ': ' + d.summary;
              head.className = d.ok ? 'ok' : 'error';
            }
          }
        }
      } catch (e) {
        head.textContent = op + ' ' + n + ': ' + e;
        head.className = 'error';
      }
    });
  });
})();
