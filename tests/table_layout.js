// Measures every table of a rendered book page, for tests/test_book.py.
//
// The book test injects this script into a copy of a built page, shows the
// copy in an <iframe> of the width under test (headless Chromium's window is
// at least 500 px wide; the iframe is the viewport, media queries included),
// and reads back the JSON report this script posts to the parent page, which
// writes it into its DOM for --dump-dom. It finds, per table:
//   touching  two cells of one row whose texts overlap or sit closer than
//             MIN_GAP_PX on one line ("4.99e+11" beside "1" read "4.99e+111");
//   overflow  a cell's text running out of its own cell;
//   clipped   a cell cut off by an ancestor that hides overflow, or beyond the
//             window's right edge, without a scroll container that shows the
//             reader there is more (the scroll shadow of .gobig-table-wrap).
// Closed <details> are opened first, so folded tables are measured too.
(function () {
  "use strict";
  var MIN_GAP_PX = 4;

  function textRects(cell) {
    // The boxes of the cell's text itself (one per line fragment), not of the
    // cell: text can touch its neighbour while the cells' boxes merely abut.
    var rects = [];
    var walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    var range = document.createRange();
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.nodeValue.trim()) continue;
      range.selectNodeContents(node);
      var list = range.getClientRects();
      for (var i = 0; i < list.length; i++) {
        if (list[i].width > 0 && list[i].height > 0) rects.push(list[i]);
      }
    }
    return rects;
  }

  function describe(cell) {
    return (cell.textContent || "").trim().slice(0, 60);
  }

  function scrollCue(style) {
    // The scroll shadow (a background image on the scroll box, along its
    // whole height). A scrollbar alone is no cue: it sits below the last row,
    // out of sight beside a long table, and phones hide it until touched.
    return Boolean(style.backgroundImage) && style.backgroundImage !== "none";
  }

  function clipping(table) {
    // The ancestors that cut off overflow, innermost first, with whether each
    // is a scroll container that shows a cue.
    var clips = [];
    for (var a = table.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      var style = getComputedStyle(a);
      if (style.overflowX === "visible") continue;
      var box = a.getBoundingClientRect();
      var left = box.left + a.clientLeft;
      clips.push({
        element: a, left: left, right: left + a.clientWidth,
        scrollable: (style.overflowX === "auto" || style.overflowX === "scroll") && a.scrollWidth > a.clientWidth,
        cue: scrollCue(style),
        name: a.tagName.toLowerCase() + (a.id ? "#" + a.id : "") + (a.className ? "." + String(a.className).trim().split(/\s+/).join(".") : ""),
      });
    }
    return clips;
  }

  function measure(table) {
    var found = {id: table.id || null, rows: 0, touching: [], overflow: [], clipped: [], scroll: null};
    var box = table.getBoundingClientRect();
    found.width = box.width;
    if (box.width === 0 || box.height === 0) {
      found.hidden = true;
      return found;
    }
    var clips = clipping(table);
    var viewportRight = document.documentElement.clientWidth;
    var rows = table.querySelectorAll("tr");
    found.rows = rows.length;
    for (var r = 0; r < rows.length; r++) {
      var cells = Array.prototype.filter.call(rows[r].children, function (c) { return c.tagName === "TD" || c.tagName === "TH"; });
      var texts = cells.map(textRects);
      for (var i = 0; i < cells.length; i++) {
        var cellBox = cells[i].getBoundingClientRect();
        // A cell a stylesheet hides (the ledger's header row on a phone) takes no room and shows nothing.
        if (cellBox.width === 0 && cellBox.height === 0) continue;
        texts[i].forEach(function (t) {
          if (t.left < cellBox.left - 0.5 || t.right > cellBox.right + 0.5) {
            found.overflow.push({row: r, col: i, text: describe(cells[i])});
          }
        });
        for (var j = i + 1; j < cells.length; j++) {
          var hit = null;
          texts[i].forEach(function (a) {
            texts[j].forEach(function (b) {
              var sameLine = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0;
              var gap = Math.max(b.left - a.right, a.left - b.right);
              if (sameLine && gap < MIN_GAP_PX && (hit === null || gap < hit)) hit = gap;
            });
          });
          if (hit !== null) {
            found.touching.push({row: r, cols: [i, j], gap: Math.round(hit * 10) / 10, texts: [describe(cells[i]), describe(cells[j])]});
          }
        }
        // Clipped: the cell reaches past an ancestor that cuts it off, or past
        // the window. Allowed only inside a scroll container with a cue.
        var cutBy = null;
        for (var k = 0; k < clips.length; k++) {
          if (cellBox.right > clips[k].right + 0.5 || cellBox.left < clips[k].left - 0.5) { cutBy = clips[k]; break; }
        }
        if (cutBy && cutBy.scrollable && cutBy.cue) {
          found.scroll = cutBy.name;
          // Inside the scroll container; it must itself fit the window.
          if (cutBy.right <= viewportRight + 0.5) continue;
        }
        if (cutBy || cellBox.right > viewportRight + 0.5) {
          found.clipped.push({
            row: r, col: i, text: describe(cells[i]), right: Math.round(cellBox.right),
            by: cutBy ? cutBy.name + (cutBy.scrollable ? " (scrolls, no cue)" : "") : "the window",
          });
        }
      }
    }
    return found;
  }

  function run() {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
    var report = {
      innerWidth: window.innerWidth,
      clientWidth: document.documentElement.clientWidth,
      scrollWidth: document.documentElement.scrollWidth,
      tables: Array.prototype.map.call(document.querySelectorAll("main table"), measure),
    };
    var json = JSON.stringify(report);
    if (window.parent !== window) window.parent.postMessage(json, "*");
    var out = document.createElement("script");
    out.type = "application/json";
    out.id = "gobig-table-report";
    out.textContent = json;
    document.body.appendChild(out);
  }

  if (document.readyState === "complete") run();
  else window.addEventListener("load", function () { setTimeout(run, 0); });
})();
