<?xml version="1.0" encoding="UTF-8"?>
<!--
  Presentation format: a rap sheet 2.00 (with its summary) as one self-contained HTML page,
  for people to read on screen and on paper. XSLT 1.0, run by lxml; the shared templates
  (dates, SSN, height, durations, code tables) are in rapsheet-common.xsl.

  Order: title and caveats, identification, the cycles in date order, agencies, data carried
  from the source, the summary last (seed 2.7). Values are written with xsl:value-of only, so
  the processor escapes everything a sender wrote; no value ever lands in an attribute.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:r="http://www.nlets.org/formats/rapsheet" exclude-result-prefixes="r">
  <xsl:output method="html" encoding="UTF-8" indent="no" doctype-system="about:legacy-compat"/>

  <xsl:variable name="css">
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1b1f24; background: #f4f5f7; margin: 0; }
.layout { width: 100%; max-width: 60rem; margin: 0 auto; border-collapse: collapse; }
.layout > thead { display: none; }
.layout > tbody > tr > td { padding: 1.5rem 2rem 3rem; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid #1b1f24; text-transform: uppercase; letter-spacing: .04em; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
h4 { font-size: .8rem; margin: .9rem 0 .2rem; text-transform: uppercase; letter-spacing: .06em; color: #3d4651; }
small.code { font-size: .75em; color: #5a6470; border: 1px solid #c9ced6; border-radius: 3px; padding: 0 .25em; margin-left: .3em; font-family: ui-monospace, Menlo, Consolas, monospace; }
.caveats { border-left: 4px solid #b42318; background: #fdf2f1; padding: .5rem .9rem; margin: .6rem 0; }
.caveats p { margin: .25rem 0; }
.request { color: #3d4651; margin: .3rem 0; }
table.ident, table.summary, table.agencies { border-collapse: collapse; width: 100%; }
table.ident th, table.agencies th { text-align: left; vertical-align: top; width: 13rem; padding: .25rem .6rem .25rem 0; color: #3d4651; font-weight: 600; }
table.ident td, table.agencies td { padding: .25rem 0; vertical-align: top; }
table.ident tr + tr > *, table.agencies tr + tr > * { border-top: 1px solid #e4e7eb; }
.when { color: #5a6470; font-size: .9em; }
.cycle { border: 1px solid #d5d9df; border-radius: 6px; padding: .8rem 1rem; margin: 0 0 1rem; }
.cycle > h3 .tcn { font-weight: normal; color: #3d4651; margin-left: .6rem; }
.facts { margin: .1rem 0 .3rem; }
.facts span + span::before { content: " · "; color: #8a939e; }
.facts b, .charge b { font-weight: 600; color: #3d4651; }
ul.charges { list-style: none; margin: .2rem 0 .4rem; padding: 0; }
.charge { border-left: 3px solid #c9ced6; padding: .2rem 0 .2rem .7rem; margin: .35rem 0; }
.charge .desc { font-weight: 700; }
.charge .sev { margin-left: .5rem; }
.charge > div { margin: .1rem 0; }
.charge .ids { font-size: .85em; color: #5a6470; }
.action { font-weight: 600; }
.source { font-size: .9em; }
.source dt { font-family: ui-monospace, Menlo, Consolas, monospace; color: #5a6470; }
.source dd { margin: 0 0 .3rem 1rem; }
table.summary th, table.summary td { border: 1px solid #c9ced6; padding: .3rem .6rem; text-align: right; }
table.summary th:first-child { text-align: left; }
.flag { color: #b42318; font-weight: 600; }
@page { margin: 14mm 12mm; }
@media print {
  body { background: none; font-size: 10pt; }
  * { background: transparent !important; box-shadow: none !important; }
  .layout { max-width: none; }
  .layout > thead { display: table-header-group; }
  .layout > thead th { text-align: left; font-weight: normal; font-size: 8pt; color: #000; border-bottom: 1px solid #000; padding: 0 0 2mm; }
  .layout > tbody > tr > td { padding: 2mm 0 0; }
  .cycle, .charge, table.ident tr, table.summary { break-inside: avoid; page-break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  .cycle { border-color: #000; }
  small.code { border-color: #000; color: #000; }
}
  </xsl:variable>

  <xsl:template match="/r:rapSheet">
    <xsl:variable name="who">
      <xsl:for-each select="r:identification/r:subjectName[1]"><xsl:call-template name="name"/></xsl:for-each>
    </xsl:variable>
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>Criminal history record: <xsl:value-of select="$who"/></title>
        <style><xsl:value-of select="$css"/></style>
      </head>
      <body>
        <table class="layout">
          <thead><tr><th>Criminal history record · <xsl:value-of select="$who"/>
            <xsl:for-each select="r:identification/r:fbiNumber"> · FBI <xsl:value-of select="."/></xsl:for-each>
          </th></tr></thead>
          <tbody><tr><td>
            <h1>Criminal history record</h1>
            <xsl:apply-templates select="r:introduction"/>
            <xsl:apply-templates select="r:identification"/>
            <section id="history">
              <h2>Criminal history</h2>
              <xsl:if test="not(r:cycle)"><p>No criminal justice events reported.</p></xsl:if>
              <xsl:apply-templates select="r:cycle"/>
            </section>
            <xsl:if test="r:agencyInfo">
              <section id="agencies">
                <h2>Agencies</h2>
                <table class="agencies"><xsl:apply-templates select="r:agencyInfo"/></table>
              </section>
            </xsl:if>
            <xsl:if test="r:sourceData">
              <section id="source">
                <h2>Other information from the source</h2>
                <xsl:call-template name="source"/>
              </section>
            </xsl:if>
            <xsl:apply-templates select="r:summary"/>
          </td></tr></tbody>
        </table>
      </body>
    </html>
  </xsl:template>

  <!-- introduction: caveats first, then what was asked for ================================ -->
  <xsl:template match="r:introduction">
    <xsl:if test="r:caveatInfo">
      <section id="caveats" class="caveats">
        <xsl:for-each select="r:caveatInfo">
          <p class="caveat">
            <strong>Caveat<xsl:if test="r:state"> (<xsl:value-of select="r:state"/>)</xsl:if>:</strong>
            <xsl:text> </xsl:text>
            <xsl:value-of select="r:caveat"/>
            <xsl:if test="r:index">Fixed caveat <xsl:value-of select="r:index"/></xsl:if>
            <xsl:if test="r:authority or r:date">
              <span class="when"> — <xsl:value-of select="r:authority"/>
                <xsl:if test="r:authority and r:date">, </xsl:if>
                <xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template>
              </span>
            </xsl:if>
          </p>
        </xsl:for-each>
      </section>
    </xsl:if>
    <xsl:for-each select="r:request">
      <p class="request">Requested:
        <xsl:if test="r:name"><xsl:text> </xsl:text><xsl:value-of select="r:name"/></xsl:if>
        <xsl:if test="r:fbiNumber"> · FBI <xsl:value-of select="r:fbiNumber"/></xsl:if>
        <xsl:if test="r:sidNumber"> · SID <xsl:value-of select="r:sidNumber"/></xsl:if>
        <xsl:if test="r:purposeCode"> · purpose: <xsl:call-template name="purpose-words"><xsl:with-param name="c" select="r:purposeCode"/></xsl:call-template>
          <small class="code"><xsl:value-of select="r:purposeCode"/></small></xsl:if>
        <xsl:if test="r:attention"> · attention <xsl:value-of select="r:attention"/></xsl:if>
      </p>
    </xsl:for-each>
  </xsl:template>

  <!-- identification: one row per item that has a value =================================== -->
  <xsl:template match="r:identification">
    <section id="identification">
      <h2>Identification</h2>
      <table class="ident">
        <tr><th>Name</th><td><xsl:for-each select="r:subjectName[1]"><xsl:call-template name="name"/></xsl:for-each></td></tr>
        <xsl:if test="r:subjectName[2]">
          <tr><th>Also known as</th><td><xsl:for-each select="r:subjectName[position() &gt; 1]"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:call-template name="name"/></xsl:for-each></td></tr>
        </xsl:if>
        <xsl:if test="r:fbiNumber"><tr><th>FBI number</th><td><xsl:value-of select="r:fbiNumber"/></td></tr></xsl:if>
        <xsl:if test="r:sidNumber"><tr><th>State id (SID)</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:sidNumber"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:ssn"><tr><th>Social security number</th><td><xsl:for-each select="r:ssn"><xsl:if test="position() &gt; 1">, </xsl:if><xsl:call-template name="ssn"><xsl:with-param name="s" select="."/></xsl:call-template></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:driversLicense"><tr><th>Driver's license</th><td><xsl:for-each select="r:driversLicense"><xsl:if test="position() &gt; 1">, </xsl:if><xsl:value-of select="concat(r:number, ' (', r:state, ')')"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:birthdate"><tr><th>Date of birth</th><td><xsl:call-template name="dates"><xsl:with-param name="items" select="r:birthdate"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:sex"><tr><th>Sex</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:sex"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:race"><tr><th>Race</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:race"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:ethnicity"><tr><th>Ethnicity</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:ethnicity"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:heightInfo"><tr><th>Height</th><td><xsl:for-each select="r:heightInfo"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:call-template name="height"/><xsl:call-template name="reported"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:weightInfo"><tr><th>Weight</th><td><xsl:for-each select="r:weightInfo"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:value-of select="r:weight"/> lb<xsl:call-template name="reported"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:eyeColorInfo"><tr><th>Eyes</th><td><xsl:for-each select="r:eyeColorInfo"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:value-of select="r:eyeColor"/><xsl:call-template name="reported"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:hairColorInfo"><tr><th>Hair</th><td><xsl:for-each select="r:hairColorInfo"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:value-of select="r:hairColor"/><xsl:call-template name="reported"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:skinTone"><tr><th>Skin tone</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:skinTone"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:bloodType"><tr><th>Blood type</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:bloodType"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:maritalStatus"><tr><th>Marital status</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:maritalStatus"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:birthplace"><tr><th>Place of birth</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:birthplace"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:citizenship"><tr><th>Citizenship</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:citizenship"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:fpPatternClass"><tr><th>Fingerprint class</th><td><xsl:call-template name="list"><xsl:with-param name="items" select="r:fpPatternClass"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:smtInfo"><tr><th>Scars, marks, tattoos</th><td><xsl:for-each select="r:smtInfo"><xsl:if test="position() &gt; 1"><br/></xsl:if>
          <xsl:value-of select="r:smt"/><xsl:if test="r:code">NCIC code <xsl:value-of select="r:code"/></xsl:if>
          <xsl:call-template name="holding"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:palmPrints"><tr><th>Palm prints held by</th><td><xsl:for-each select="r:palmPrints"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:call-template name="holding"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:photo"><tr><th>Photo held by</th><td><xsl:for-each select="r:photo"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:call-template name="holding"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:dna"><tr><th>DNA held by</th><td><xsl:for-each select="r:dna"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:call-template name="holding"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:residence"><tr><th>Residence</th><td><xsl:for-each select="r:residence"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:value-of select="r:address"/><xsl:call-template name="reported"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:employment"><tr><th>Employment</th><td><xsl:for-each select="r:employment"><xsl:if test="position() &gt; 1"><br/></xsl:if>
          <xsl:value-of select="r:occupation"/><xsl:if test="r:occupation and r:employer">, </xsl:if><xsl:value-of select="r:employer"/><xsl:call-template name="reported"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:cautionInfo"><tr><th>Caution</th><td class="flag"><xsl:for-each select="r:cautionInfo"><xsl:if test="position() &gt; 1"><br/></xsl:if>
          <xsl:value-of select="r:caution"/><xsl:call-template name="by-state"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:iffsDisqualified"><tr><th>Firearm sales (IFFS)</th><td><xsl:call-template name="iffs-words"><xsl:with-param name="c" select="r:iffsDisqualified"/></xsl:call-template><small class="code"><xsl:value-of select="r:iffsDisqualified"/></small></td></tr></xsl:if>
        <xsl:if test="r:offenderNoticeInfo"><tr><th>Offender notice</th><td><xsl:for-each select="r:offenderNoticeInfo"><xsl:if test="position() &gt; 1"><br/></xsl:if>
          <xsl:value-of select="r:offenderNotice"/><xsl:if test="r:index">Fixed notice <xsl:value-of select="r:index"/></xsl:if><xsl:call-template name="by-state"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:registeredOffender"><tr><th>Registered offender</th><td><xsl:call-template name="yes-no"><xsl:with-param name="b" select="r:registeredOffender"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:deathDate"><tr><th>Date of death</th><td><xsl:call-template name="dates"><xsl:with-param name="items" select="r:deathDate"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:protectionOrder"><tr><th>Protection order</th><td class="flag"><xsl:for-each select="r:protectionOrder"><xsl:if test="position() &gt; 1"><br/></xsl:if>
          <xsl:call-template name="protection-order"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:commentsInfo"><tr><th>Comments</th><td><xsl:for-each select="r:commentsInfo"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:value-of select="r:comment"/><xsl:call-template name="by-state"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:correctionalNumber"><tr><th>Correctional number</th><td><xsl:for-each select="r:correctionalNumber"><xsl:if test="position() &gt; 1">, </xsl:if><xsl:value-of select="r:number"/><xsl:if test="r:state"> (<xsl:value-of select="r:state"/>)</xsl:if></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:miscId"><tr><th>Other identifiers</th><td><xsl:for-each select="r:miscId"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:if test="r:type"><xsl:value-of select="r:type"/>: </xsl:if><xsl:value-of select="r:number"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:sourceData"><tr><th>Other information from the source</th><td class="source"><xsl:call-template name="source"/></td></tr></xsl:if>
      </table>
    </section>
  </xsl:template>

  <xsl:template name="list">
    <xsl:param name="items"/>
    <xsl:for-each select="$items"><xsl:if test="position() &gt; 1">, </xsl:if><xsl:value-of select="."/></xsl:for-each>
  </xsl:template>

  <xsl:template name="dates">
    <xsl:param name="items"/>
    <xsl:for-each select="$items"><xsl:if test="position() &gt; 1">, </xsl:if><xsl:call-template name="date"><xsl:with-param name="d" select="."/></xsl:call-template></xsl:for-each>
  </xsl:template>

  <xsl:template name="reported">
    <xsl:if test="r:date"><span class="when"> (reported <xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template>)</span></xsl:if>
  </xsl:template>

  <xsl:template name="by-state">
    <xsl:if test="r:state or r:date"><span class="when"> (<xsl:value-of select="r:state"/><xsl:if test="r:state and r:date">, </xsl:if><xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template>)</span></xsl:if>
  </xsl:template>

  <xsl:template name="holding">
    <span class="when">
      <xsl:if test="r:smt or r:code"> — </xsl:if>
      <xsl:call-template name="agency"><xsl:with-param name="ori" select="r:agencyORI"/><xsl:with-param name="name" select="r:agencyName"/></xsl:call-template>
      <xsl:if test="r:format">; format <xsl:value-of select="r:format"/></xsl:if>
      <xsl:if test="r:link">; how to obtain: <xsl:value-of select="r:link"/></xsl:if>
      <xsl:if test="r:date">; <xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template></xsl:if>
    </span>
  </xsl:template>

  <xsl:template name="source">
    <dl class="source">
      <xsl:for-each select="r:sourceData"><dt><xsl:value-of select="r:path"/></dt><dd><xsl:value-of select="r:value"/></dd></xsl:for-each>
    </dl>
  </xsl:template>

  <!-- cycles ============================================================================== -->
  <xsl:template match="r:cycle">
    <article class="cycle">
      <h3>Cycle <xsl:value-of select="position()"/>: <xsl:call-template name="date"><xsl:with-param name="d" select="r:earliestDate"/></xsl:call-template>
        <xsl:if test="r:trackingNumber"><span class="tcn">tracking number (OTN) <xsl:value-of select="r:trackingNumber"/></span></xsl:if>
      </h3>
      <xsl:for-each select="r:cycleCaveat">
        <p class="caveats"><strong>Cycle caveat:</strong><xsl:text> </xsl:text><xsl:value-of select="r:caveat"/>
          <xsl:if test="r:authority or r:date"><span class="when"> — <xsl:value-of select="r:authority"/><xsl:if test="r:authority and r:date">, </xsl:if><xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template></span></xsl:if>
        </p>
      </xsl:for-each>
      <xsl:apply-templates select="r:arrestSegment | r:bookingSegment | r:juvenileSegment | r:prosecutionSegment | r:courtSegment | r:sentencingSegment | r:custodySegment | r:supervisionSegment | r:postSentenceSegment"/>
      <xsl:if test="r:sourceData">
        <h4>Other information from the source</h4>
        <xsl:call-template name="source"/>
      </xsl:if>
    </article>
  </xsl:template>

  <xsl:template name="fact">
    <xsl:param name="label"/>
    <xsl:param name="value"/>
    <xsl:if test="string($value) != ''"><span><b><xsl:value-of select="$label"/></b><xsl:text> </xsl:text><xsl:value-of select="$value"/></span></xsl:if>
  </xsl:template>

  <xsl:template name="when-who">
    <xsl:param name="d"/>
    <xsl:param name="ori" select="r:agencyORI"/>
    <xsl:param name="name" select="r:agencyName"/>
    <!-- once per segment: the agency template written out here (a call costs more than it) -->
    <span><b>Date</b><xsl:text> </xsl:text><xsl:call-template name="date"><xsl:with-param name="d" select="$d"/></xsl:call-template></span>
    <span><b>Agency</b><xsl:text> </xsl:text><xsl:choose>
      <xsl:when test="$name and $ori"><xsl:value-of select="concat($name, ' (', $ori, ')')"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="concat($name, $ori)"/></xsl:otherwise>
    </xsl:choose></span>
  </xsl:template>

  <xsl:template match="r:arrestSegment">
    <section class="seg"><h4>Arrest</h4>
      <p class="facts"><xsl:call-template name="when-who"><xsl:with-param name="d" select="r:arrestDate"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Arrest number'"/><xsl:with-param name="value" select="r:caseNumber"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Name used'"/><xsl:with-param name="value" select="r:subjectName"/></xsl:call-template></p>
      <xsl:call-template name="charges"><xsl:with-param name="c" select="r:arrestCharge"/></xsl:call-template>
    </section>
  </xsl:template>

  <xsl:template match="r:bookingSegment">
    <section class="seg"><h4>Booking</h4>
      <p class="facts"><xsl:call-template name="when-who"><xsl:with-param name="d" select="r:bookingDate"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Booking number'"/><xsl:with-param name="value" select="r:bookingNumber"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Name used'"/><xsl:with-param name="value" select="r:subjectName"/></xsl:call-template></p>
    </section>
  </xsl:template>

  <xsl:template match="r:juvenileSegment | r:prosecutionSegment">
    <section class="seg"><h4><xsl:choose><xsl:when test="self::r:juvenileSegment">Juvenile</xsl:when><xsl:otherwise>Prosecution</xsl:otherwise></xsl:choose></h4>
      <p class="facts"><xsl:call-template name="when-who"><xsl:with-param name="d" select="r:juvenileDate | r:prosecutionDate"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Case number'"/><xsl:with-param name="value" select="r:caseNumber"/></xsl:call-template></p>
      <xsl:call-template name="charges"><xsl:with-param name="c" select="r:juvenileCharge | r:prosecutionCharge"/></xsl:call-template>
    </section>
  </xsl:template>

  <xsl:template match="r:courtSegment">
    <section class="seg"><h4>Court</h4>
      <p class="facts"><xsl:call-template name="when-who"><xsl:with-param name="d" select="r:courtDate"/><xsl:with-param name="ori" select="r:courtORI"/><xsl:with-param name="name" select="r:courtName"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Case number'"/><xsl:with-param name="value" select="r:caseNumber"/></xsl:call-template>
        <xsl:for-each select="r:caseStatus"><span><b>Status</b><xsl:text> </xsl:text><xsl:value-of select="."/></span></xsl:for-each></p>
      <xsl:call-template name="charges"><xsl:with-param name="c" select="r:courtCharge"/></xsl:call-template>
    </section>
  </xsl:template>

  <xsl:template match="r:sentencingSegment">
    <section class="seg"><h4>Sentencing</h4>
      <p class="facts"><xsl:call-template name="when-who"><xsl:with-param name="d" select="r:sentencingDate"/><xsl:with-param name="ori" select="r:courtORI"/><xsl:with-param name="name" select="r:courtName"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Case number'"/><xsl:with-param name="value" select="r:caseNumber"/></xsl:call-template></p>
      <xsl:for-each select="r:sentence">
        <div class="charge sentence">
          <div><span class="desc">Sentence<xsl:if test="r:sentenceDescription">: <xsl:value-of select="r:sentenceDescription"/></xsl:if></span>
            <xsl:if test="r:date"><span class="when"> (<xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template>)</span></xsl:if></div>
          <xsl:for-each select="r:term">
            <div><b>Term<xsl:if test="r:kind">: <xsl:value-of select="r:kind"/></xsl:if></b>
              <xsl:if test="r:minimum"> minimum <xsl:call-template name="duration"><xsl:with-param name="d" select="r:minimum"/></xsl:call-template></xsl:if>
              <xsl:if test="r:minimum and r:maximum">,</xsl:if>
              <xsl:if test="r:maximum"> maximum <xsl:call-template name="duration"><xsl:with-param name="d" select="r:maximum"/></xsl:call-template></xsl:if>
              <xsl:if test="r:description"> — <xsl:value-of select="r:description"/></xsl:if></div>
          </xsl:for-each>
          <xsl:if test="r:fine"><div><b>Fine</b><xsl:text> </xsl:text><xsl:value-of select="r:fine"/></div></xsl:if>
          <xsl:if test="r:courtCost"><div><b>Court costs</b><xsl:text> </xsl:text><xsl:value-of select="r:courtCost"/></div></xsl:if>
          <xsl:for-each select="r:condition"><div><b>Condition</b><xsl:text> </xsl:text><xsl:value-of select="."/></div></xsl:for-each>
          <xsl:if test="r:sentenceCharge"><div><b>For the charges</b></div>
            <xsl:call-template name="charges"><xsl:with-param name="c" select="r:sentenceCharge"/></xsl:call-template></xsl:if>
        </div>
      </xsl:for-each>
    </section>
  </xsl:template>

  <xsl:template match="r:custodySegment | r:supervisionSegment">
    <section class="seg"><h4><xsl:choose><xsl:when test="self::r:custodySegment">Custody</xsl:when><xsl:otherwise>Supervision</xsl:otherwise></xsl:choose></h4>
      <p class="facts"><xsl:call-template name="when-who"><xsl:with-param name="d" select="r:custodyDate | r:supervisionDate"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Status'"/><xsl:with-param name="value" select="r:custodyStatus | r:supervisionStatus"/></xsl:call-template>
        <xsl:if test="r:releaseDate"><span><b>Released</b><xsl:text> </xsl:text><xsl:call-template name="date"><xsl:with-param name="d" select="r:releaseDate"/></xsl:call-template></span></xsl:if>
        <xsl:if test="r:endDate"><span><b>Ends</b><xsl:text> </xsl:text><xsl:call-template name="date"><xsl:with-param name="d" select="r:endDate"/></xsl:call-template></span></xsl:if>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Offense'"/><xsl:with-param name="value" select="r:offense"/></xsl:call-template>
        <xsl:for-each select="r:caseNumber"><span><b>Case number</b><xsl:text> </xsl:text><xsl:value-of select="."/></span></xsl:for-each></p>
      <xsl:call-template name="charges"><xsl:with-param name="c" select="r:custodyCharge | r:supervisionCharge"/></xsl:call-template>
    </section>
  </xsl:template>

  <xsl:template match="r:postSentenceSegment">
    <section class="seg"><h4>Post-sentence</h4>
      <p class="facts"><xsl:call-template name="when-who"><xsl:with-param name="d" select="r:actionDate"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Event'"/><xsl:with-param name="value" select="r:event"/></xsl:call-template>
        <xsl:call-template name="fact"><xsl:with-param name="label" select="'Details'"/><xsl:with-param name="value" select="r:description"/></xsl:call-template></p>
    </section>
  </xsl:template>

  <!-- a charge, the same shape at every stage ============================================= -->
  <xsl:template name="charges">
    <xsl:param name="c"/>
    <xsl:if test="$c"><ul class="charges"><xsl:apply-templates select="$c" mode="charge"/></ul></xsl:if>
  </xsl:template>

  <xsl:template match="*" mode="charge">
    <!-- This template runs once per charge and dominates the cost of a long record, so it
         calls no other template and evaluates each path once: for-each over an optional child
         (where if + value-of would evaluate it twice), the small shared templates (severity,
         court action words) written out here, and no node-set union per charge. -->
    <li class="charge">
      <div><xsl:for-each select="r:chargeSequence"><b>Charge <xsl:value-of select="."/>: </b></xsl:for-each>
        <span class="desc"><xsl:value-of select="r:chargeDescription"/></span>
        <!-- the severity template of rapsheet-common.xsl: "Felony (class FA: FELONY FIRST DEGREE)" -->
        <span class="sev"><xsl:value-of select="r:chargeSeverity"/><xsl:choose>
          <xsl:when test="r:severityClass"><xsl:value-of select="concat(' (class ', r:severityClass)"/><xsl:for-each select="r:severityText">: <xsl:value-of select="."/></xsl:for-each>)</xsl:when>
          <xsl:otherwise><xsl:for-each select="r:severityText"> (<xsl:value-of select="."/>)</xsl:for-each></xsl:otherwise>
        </xsl:choose></span>
        <xsl:for-each select="r:counts"><span class="when"> · <xsl:value-of select="."/> count<xsl:if test=". != 1">s</xsl:if></span></xsl:for-each></div>
      <xsl:for-each select="r:courtActionType">
        <div class="action"><b>Court action</b><xsl:text> </xsl:text><xsl:call-template name="court-action-words"><xsl:with-param name="c" select="."/></xsl:call-template><small class="code"><xsl:value-of select="."/></small></div>
      </xsl:for-each>
      <xsl:for-each select="r:chargeNote"><div class="note"><b><xsl:value-of select="r:kind"/></b><xsl:text> </xsl:text><xsl:value-of select="r:text"/></div></xsl:for-each>
      <xsl:for-each select="r:statute">
        <div class="statute"><b>Statute</b><xsl:text> </xsl:text><xsl:value-of select="r:code"/>
          <xsl:for-each select="r:jurisdiction"> (<xsl:value-of select="."/>)</xsl:for-each>
          <xsl:for-each select="r:text"> — <xsl:value-of select="."/></xsl:for-each>
          <xsl:for-each select="r:offenseCode"><span class="when"> · offense code <xsl:value-of select="."/></span></xsl:for-each>
          <xsl:for-each select="r:offenseId"><span class="when"> · offense id <xsl:value-of select="."/></span></xsl:for-each></div>
      </xsl:for-each>
      <xsl:if test="r:ncicCode or r:ncicText"><div><b>NCIC offense</b><xsl:text> </xsl:text><xsl:value-of select="r:ncicCode"/>
        <xsl:for-each select="r:ncicText"><xsl:if test="position() &gt; 1 or ../r:ncicCode"> — </xsl:if><xsl:value-of select="."/></xsl:for-each></div></xsl:if>
      <xsl:for-each select="r:disposition">
        <div class="disp"><b>Disposition</b><xsl:text> </xsl:text>
          <xsl:for-each select="r:date"><xsl:call-template name="date"><xsl:with-param name="d" select="."/></xsl:call-template>: </xsl:for-each>
          <xsl:value-of select="r:text"/><xsl:for-each select="r:detail"> — <xsl:value-of select="."/></xsl:for-each></div>
      </xsl:for-each>
      <xsl:for-each select="r:sentence"><div><b>Sentence</b><xsl:text> </xsl:text><xsl:value-of select="."/></div></xsl:for-each>
      <!-- each at most once (ChargeCore in the XSD) -->
      <xsl:if test="r:chargeId or r:chargeTrackingNumber or r:agencyRecordNumber">
        <div class="ids"><xsl:for-each select="r:chargeId">Charge id <xsl:value-of select="."/></xsl:for-each>
          <xsl:for-each select="r:chargeTrackingNumber"><xsl:if test="../r:chargeId"> · </xsl:if>Charge tracking number <xsl:value-of select="."/></xsl:for-each>
          <xsl:for-each select="r:agencyRecordNumber"><xsl:if test="../r:chargeId or ../r:chargeTrackingNumber"> · </xsl:if>Agency record number <xsl:value-of select="."/></xsl:for-each></div>
      </xsl:if>
    </li>
  </xsl:template>

  <!-- agencies, summary =================================================================== -->
  <xsl:template match="r:agencyInfo">
    <tr><th><xsl:value-of select="r:agencyORI"/></th>
      <td><xsl:value-of select="r:agencyName"/>
        <xsl:for-each select="r:agencyAddress | r:agencyPhone | r:agencyFax | r:agencyInternetAddress"><br/>
          <xsl:choose><xsl:when test="self::r:agencyPhone">Phone </xsl:when><xsl:when test="self::r:agencyFax">Fax </xsl:when></xsl:choose>
          <xsl:value-of select="."/></xsl:for-each></td></tr>
  </xsl:template>

  <xsl:template match="r:summary">
    <section id="summary">
      <h2>Summary</h2>
      <table class="summary">
        <tr><th></th><th>Felony</th><th>Misdemeanor</th><th>Local ordinance</th><th>Other</th><th>Unknown</th><th>Total</th></tr>
        <xsl:for-each select="r:totalCharges | r:totalConvictions">
          <tr><th><xsl:choose><xsl:when test="self::r:totalCharges">Charges</xsl:when><xsl:otherwise>Convictions</xsl:otherwise></xsl:choose></th>
            <td><xsl:value-of select="r:felony"/></td><td><xsl:value-of select="r:misdemeanor"/></td>
            <td><xsl:value-of select="r:localOrdinance"/></td><td><xsl:value-of select="r:other"/></td>
            <td><xsl:value-of select="r:unknown"/></td>
            <td><xsl:value-of select="r:felony + r:misdemeanor + r:localOrdinance + r:other + r:unknown"/></td></tr>
        </xsl:for-each>
      </table>
      <table class="ident">
        <tr><th>Arrests</th><td><xsl:value-of select="r:totalArrests"/></td></tr>
        <tr><th>Failures to appear</th><td><xsl:value-of select="r:totalFailuresToAppear"/></td></tr>
        <tr><th>Revocations</th><td><xsl:value-of select="r:totalRevocations"/></td></tr>
        <xsl:if test="r:firstEventDate"><tr><th>First event</th><td><xsl:call-template name="date"><xsl:with-param name="d" select="r:firstEventDate"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:lastEventDate"><tr><th>Last event</th><td><xsl:call-template name="date"><xsl:with-param name="d" select="r:lastEventDate"/></xsl:call-template></td></tr></xsl:if>
        <xsl:if test="r:iffsDisqualified"><tr><th>Firearm sales (IFFS)</th><td><xsl:call-template name="iffs-words"><xsl:with-param name="c" select="r:iffsDisqualified"/></xsl:call-template><small class="code"><xsl:value-of select="r:iffsDisqualified"/></small></td></tr></xsl:if>
        <xsl:if test="r:cautionInfo"><tr><th>Cautions</th><td class="flag"><xsl:for-each select="r:cautionInfo"><xsl:if test="position() &gt; 1"><br/></xsl:if><xsl:value-of select="r:caution"/><xsl:call-template name="by-state"/></xsl:for-each></td></tr></xsl:if>
        <xsl:if test="r:unknownSeverityCode"><tr><th>Unknown severity codes</th><td class="flag">counted as Unknown: <xsl:call-template name="list"><xsl:with-param name="items" select="r:unknownSeverityCode"/></xsl:call-template></td></tr></xsl:if>
      </table>
    </section>
  </xsl:template>
</xsl:stylesheet>
