// Fields whose whole value is to be copied (a new API key): focusing one selects it all.
document.addEventListener("focusin", function (event) {
  if (event.target.matches("[data-select-on-focus]")) {
    event.target.select();
  }
});
