/* Nynorsk for Select2 4.0.13, the admin's autocomplete boxes (Select2 ships Bokmål, not
   Nynorsk). Loaded by the admin's widgets once network_portal.apps registers "nn". */
(function () {
  if (!(window.jQuery && jQuery.fn && jQuery.fn.select2 && jQuery.fn.select2.amd)) {
    return;
  }
  jQuery.fn.select2.amd.define("select2/i18n/nn", [], function () {
    return {
      errorLoading: function () {
        return "Kunne ikkje hente resultata.";
      },
      inputTooLong: function (args) {
        return "Fjern " + (args.input.length - args.maximum) + " teikn";
      },
      inputTooShort: function (args) {
        return "Skriv " + (args.minimum - args.input.length) + " teikn til";
      },
      loadingMore: function () {
        return "Hentar fleire resultat …";
      },
      maximumSelected: function (args) {
        return "Du kan berre velje " + args.maximum + " element";
      },
      noResults: function () {
        return "Ingen treff";
      },
      searching: function () {
        return "Søkjer …";
      },
      removeAllItems: function () {
        return "Fjern alle elementa";
      },
    };
  });
})();
