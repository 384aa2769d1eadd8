/* The candidate's scheduling page: reads the link's slots in the chosen zone, books, reschedules, cancels.
   Plain JavaScript, no build step, no outside assets. Every call goes to the public JSON API. */
(function () {
  "use strict";

  var app = document.getElementById("app");
  if (!app) return;
  var api = app.getAttribute("data-api");
  var $ = function (id) { return document.getElementById(id); };
  var sections = ["booked", "cancel-confirm", "picker", "confirm"];
  var state = null;        // the link as the last GET answered it
  var mode = "book";       // "book" or "reschedule"
  var chosen = null;       // the slot picked, {start, end}
  // Browsers (ICU) still answer some zones by their old names: show the current IANA name.
  var ALIASES = {
    "Asia/Calcutta": "Asia/Kolkata", "Asia/Katmandu": "Asia/Kathmandu", "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv", "America/Godthab": "America/Nuuk",
    "Atlantic/Faeroe": "Atlantic/Faroe", "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Indianapolis": "America/Indiana/Indianapolis", "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Ponape": "Pacific/Pohnpei", "Asia/Ulan_Bator": "Asia/Ulaanbaatar", "Asia/Dacca": "Asia/Dhaka",
    "Asia/Thimbu": "Asia/Thimphu", "Etc/UTC": "UTC", "Etc/GMT": "UTC", "GMT": "UTC", "Etc/Universal": "UTC"
  };
  var zone = initialZone();

  function initialZone() {
    var names = Array.prototype.map.call($("zone").options, function (o) { return o.value; });
    var browser = "";
    try { browser = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { browser = ""; }
    browser = ALIASES[browser] || browser;
    if (names.indexOf(browser) >= 0) return browser;
    var linkZone = app.getAttribute("data-link-zone");
    return names.indexOf(linkZone) >= 0 ? linkZone : "UTC";
  }

  // --- formatting: always in the zone picked, always saying which zone --------------------------------
  function format(iso, options) {
    options.timeZone = zone;
    return new Intl.DateTimeFormat("en-GB", options).format(new Date(iso));
  }
  function dayName(iso) { return format(iso, { weekday: "long", day: "numeric", month: "long" }); }
  function fullDay(iso) { return dayName(iso) + " " + format(iso, { year: "numeric" }); }
  function clock(iso) { return format(iso, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }); }
  function offset(iso) {
    try {
      var parts = new Intl.DateTimeFormat("en-GB", { timeZone: zone, timeZoneName: "shortOffset" })
        .formatToParts(new Date(iso));
      for (var i = 0; i < parts.length; i++) if (parts[i].type === "timeZoneName") return parts[i].value;
    } catch (e) { /* an old browser: the zone name alone */ }
    return "";
  }
  function zoneLabel(iso) {
    var off = offset(iso);
    return off && off !== zone ? zone.replace(/_/g, " ") + ", " + off : zone.replace(/_/g, " ");
  }
  function when(slot) {
    return fullDay(slot.start) + ", " + clock(slot.start) + "\u2013" + clock(slot.end) + " (" + zoneLabel(slot.start) + ")";
  }

  // --- talking to the API ------------------------------------------------------------------------------
  function randomKey() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function call(method, path, body) {
    var url = api + path + "?tz=" + encodeURIComponent(zone);
    var options = { method: method, headers: { "Accept": "application/json" }, credentials: "omit", cache: "no-store" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["Idempotency-Key"] = randomKey();
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) return { ok: true, status: response.status, data: data };
        var error = (data && data.error) || { code: "server_error", message: "Something went wrong on our side." };
        return { ok: false, status: response.status, error: error };
      });
    }, function () {
      return { ok: false, status: 0, error: { code: "network", message: "We could not reach the server. Please check your connection and try again." } };
    });
  }

  // --- showing things ------------------------------------------------------------------------------------
  function show(id, focus) {
    sections.forEach(function (name) { $(name).hidden = name !== id; });
    if (focus) {
      var heading = $(id).querySelector("h2");
      if (heading) heading.focus();
    }
  }
  function say(text) { $("message").textContent = text || ""; }
  function alertText(text) {
    var box = $("alert");
    box.textContent = text || "";
    box.hidden = !text;
  }

  function renderSlots() {
    var days = $("days");
    days.textContent = "";
    var groups = [];
    var byDay = {};
    state.slots.forEach(function (slot) {
      var key = slot.start.slice(0, 10); // the API wrote it in this zone: its date is the local day
      if (!byDay[key]) { byDay[key] = []; groups.push(byDay[key]); }
      byDay[key].push(slot);
    });
    groups.forEach(function (slots, index) {
      var fieldset = document.createElement("fieldset");
      fieldset.className = "day";
      var legend = document.createElement("legend");
      legend.textContent = dayName(slots[0].start);
      var off = document.createElement("span");
      off.className = "offset";
      off.textContent = " " + (offset(slots[0].start) || zone);
      legend.appendChild(off);
      var grid = document.createElement("div");
      grid.className = "slots";
      slots.forEach(function (slot, position) {
        var id = "slot-" + index + "-" + position;
        var input = document.createElement("input");
        input.type = "radio";
        input.name = "slot";
        input.id = id;
        input.value = slot.start;
        input.setAttribute("data-end", slot.end);
        var label = document.createElement("label");
        label.className = "slot";
        label.htmlFor = id;
        var time = document.createElement("span");
        time.className = "time";
        time.textContent = clock(slot.start) + "\u2013" + clock(slot.end);
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = ", " + dayName(slot.start) + ", " + zoneLabel(slot.start);
        label.appendChild(time);
        label.appendChild(hidden);
        var cell = document.createElement("div");
        cell.className = "cell";
        cell.appendChild(input);
        cell.appendChild(label);
        grid.appendChild(cell);
      });
      fieldset.appendChild(legend);
      fieldset.appendChild(grid);
      days.appendChild(fieldset);
    });
    var none = state.slots.length === 0;
    $("no-slots").hidden = !none;
    $("continue").hidden = none;
    var sample = state.slots.length ? state.slots[0].start : new Date().toISOString();
    $("zone-now").textContent = "All times below are in " + zoneLabel(sample) + ".";
  }

  function showPicker(focus) {
    var moving = mode === "reschedule" && state.interview;
    $("picker-heading").textContent = moving ? "Pick a new time" : "Pick a time";
    $("picker-back").hidden = !moving;
    renderSlots();
    show("picker", focus);
  }

  function showBooked(focus) {
    var interview = state.interview;
    $("booked-when").textContent = when(interview);
    var names = (interview.interviewers || []).map(function (p) { return p.name; });
    $("booked-with").textContent = names.length ? "With " + names.join(", ") + "." : "";
    $("ics").href = api + "/interview.ics?tz=" + encodeURIComponent(zone);
    show("booked", focus);
  }

  function gone(error) {
    sections.forEach(function (name) { $(name).hidden = true; });
    alertText(error.message + " If you still need a time, please reply to the hiring team.");
  }

  function load(focus) {
    return call("GET", "").then(function (answer) {
      $("loading").hidden = true;
      if (!answer.ok) {
        if (answer.status === 410 || answer.status === 404) return gone(answer.error);
        alertText(answer.error.message);
        return;
      }
      state = answer.data;
      if (state.interview && mode !== "reschedule") showBooked(focus);
      else { if (!state.interview) mode = "book"; showPicker(focus); }
    });
  }

  // --- what the candidate does -------------------------------------------------------------------------
  $("zone").value = zone;
  $("zone").addEventListener("change", function () {
    zone = $("zone").value;
    say("Showing the times in " + zone.replace(/_/g, " ") + ".");
    load(false);
  });

  $("slots-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var picked = document.querySelector('input[name="slot"]:checked');
    if (!picked) {
      alertText("Please pick one of the times first.");
      return;
    }
    alertText("");
    chosen = { start: picked.value, end: picked.getAttribute("data-end") };
    var moving = mode === "reschedule" && state.interview;
    $("confirm-heading").textContent = moving ? "Move your interview?" : "Confirm your interview";
    $("confirm-when").textContent = moving
      ? "From " + when(state.interview) + " to " + when(chosen) + "."
      : when(chosen);
    $("confirm-yes").textContent = moving ? "Yes, move it" : "Confirm";
    show("confirm", true);
  });

  $("confirm-back").addEventListener("click", function () { showPicker(true); });
  $("picker-back").addEventListener("click", function () { mode = "book"; showBooked(true); });

  $("confirm-yes").addEventListener("click", function () {
    var button = $("confirm-yes");
    button.disabled = true;
    var path = mode === "reschedule" && state.interview ? "/reschedule" : "/book";
    call("POST", path, { start: chosen.start }).then(function (answer) {
      button.disabled = false;
      if (answer.ok) {
        alertText("");
        var moved = path === "/reschedule";
        mode = "book";
        say(moved ? "Your interview has been moved." : "Your interview is booked.");
        return load(true);
      }
      if (answer.status === 410) return gone(answer.error);
      if (answer.error.code === "slot_unavailable") {
        alertText("Sorry, that time was just taken. Please pick another one: the times below are up to date.");
      } else {
        alertText(answer.error.message);
      }
      return load(false).then(function () { if (!$("picker").hidden) $("picker-heading").focus(); });
    });
  });

  $("reschedule").addEventListener("click", function () {
    mode = "reschedule";
    alertText("");
    say("");
    showPicker(true);
  });

  $("cancel").addEventListener("click", function () {
    $("cancel-when").textContent = when(state.interview);
    show("cancel-confirm", true);
  });
  $("cancel-no").addEventListener("click", function () { showBooked(true); });
  $("cancel-yes").addEventListener("click", function () {
    var button = $("cancel-yes");
    button.disabled = true;
    call("POST", "/cancel").then(function (answer) {
      button.disabled = false;
      if (answer.ok) {
        mode = "book";
        alertText("");
        say("Your interview has been cancelled. You can pick a new time below.");
        return load(true);
      }
      if (answer.status === 410) return gone(answer.error);
      alertText(answer.error.message);
      return load(false);
    });
  });

  load(false);
})();
