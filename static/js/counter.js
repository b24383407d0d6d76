// The counter page: scan the customer's QR code with the phone's camera, where the
// browser reads QR codes itself (BarcodeDetector: Chrome on Android, among others).
// Progressive enhancement only: typing the code always works, and the scan button stays
// hidden where the browser cannot scan.
(function () {
  "use strict";

  var SCAN_EVERY_MS = 250;
  var TYPED_CODE = /^[A-Za-z0-9][A-Za-z0-9 -]{6,10}[A-Za-z0-9]$/;

  // What to type from what the QR code holds: the counter link's ?code=, or a bare code.
  // Anything else (another shop's till QR, a website) is ignored: scanning goes on.
  function codeIn(text) {
    var url;
    try {
      url = new URL(text);
    } catch (error) {
      return TYPED_CODE.test(text.trim()) ? text.trim() : "";
    }
    if (!/\/counter\/$/.test(url.pathname)) {
      return "";
    }
    return url.searchParams.get("code") || "";
  }

  async function canScan() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return false;
    }
    try {
      var formats = await window.BarcodeDetector.getSupportedFormats();
      return formats.indexOf("qr_code") !== -1;
    } catch (error) {
      return false;
    }
  }

  async function setUp() {
    var scan = document.querySelector("[data-counter-scan]");
    var form = document.querySelector("form.counter-code");
    if (!scan || !form || !(await canScan())) {
      return;
    }
    var input = form.querySelector("input[name=code]");
    var start = scan.querySelector("[data-scan-start]");
    var video = scan.querySelector("video");
    var status = scan.querySelector("[data-scan-status]");
    scan.hidden = false;

    start.addEventListener("click", async function () {
      var stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      } catch (error) {
        status.textContent = status.dataset.unavailable;
        status.hidden = false;
        return;
      }
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      start.hidden = true;
      status.hidden = true;
      video.hidden = false;
      video.srcObject = stream;
      await video.play();

      function stop() {
        stream.getTracks().forEach(function (track) {
          track.stop();
        });
        video.hidden = true;
      }

      async function look() {
        try {
          var found = await detector.detect(video);
          for (var i = 0; i < found.length; i++) {
            var code = codeIn(found[i].rawValue);
            if (code) {
              stop();
              input.value = code;
              form.submit();
              return;
            }
          }
        } catch (error) {
          // A frame not ready yet: try the next one.
        }
        window.setTimeout(look, SCAN_EVERY_MS);
      }
      look();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
