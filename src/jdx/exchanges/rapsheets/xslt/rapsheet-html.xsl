<?xml version="1.0" encoding="UTF-8"?>
<!-- Presentation format: a rap sheet 2.00 (with its summary) as one HTML page. XSLT 1.0. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:r="http://www.nlets.org/formats/rapsheet" exclude-result-prefixes="r">
  <xsl:output method="html" encoding="UTF-8" indent="no"/>

  <xsl:template name="date">
    <xsl:param name="d"/>
    <xsl:if test="string-length($d) = 8">
      <xsl:value-of select="concat(substring($d, 1, 4), '-', substring($d, 5, 2), '-', substring($d, 7, 2))"/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="/r:rapSheet">
    <html><head><meta charset="utf-8"/><title>Criminal history record</title></head>
    <body>
      <h1>Criminal history record</h1>
      <xsl:apply-templates select="r:introduction"/>
      <xsl:apply-templates select="r:identification"/>
      <h2>Criminal history</h2>
      <xsl:apply-templates select="r:cycle"/>
      <xsl:if test="r:agencyInfo">
        <h2>Agencies</h2>
        <table><tr><th>ORI</th><th>Name</th><th>Address</th><th>Phone</th></tr>
          <xsl:for-each select="r:agencyInfo">
            <tr><td><xsl:value-of select="r:agencyORI"/></td><td><xsl:value-of select="r:agencyName"/></td>
                <td><xsl:value-of select="r:agencyAddress"/></td><td><xsl:value-of select="r:agencyPhone"/></td></tr>
          </xsl:for-each>
        </table>
      </xsl:if>
      <xsl:apply-templates select="r:summary"/>
    </body></html>
  </xsl:template>

  <xsl:template match="r:introduction">
    <xsl:for-each select="r:request">
      <p class="request">Request: FBI <xsl:value-of select="r:fbiNumber"/> SID <xsl:value-of select="r:sidNumber"/>
        <xsl:text> </xsl:text><xsl:value-of select="r:name"/> purpose <xsl:value-of select="r:purposeCode"/>
        attention <xsl:value-of select="r:attention"/></p>
    </xsl:for-each>
    <xsl:for-each select="r:caveatInfo">
      <p class="caveat"><strong><xsl:value-of select="r:state"/></strong><xsl:text> </xsl:text>
        <xsl:value-of select="r:caveat"/><xsl:value-of select="r:index"/></p>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="r:identification">
    <h2>Identification</h2>
    <table class="identification">
      <tr><th>Names</th><td><xsl:for-each select="r:subjectName">
        <xsl:value-of select="r:last"/>, <xsl:value-of select="r:first"/><xsl:text> </xsl:text>
        <xsl:value-of select="r:middle"/><xsl:text> </xsl:text><xsl:value-of select="r:suffix"/>
        <xsl:if test="position() != last()"><br/></xsl:if></xsl:for-each></td></tr>
      <tr><th>FBI number</th><td><xsl:value-of select="r:fbiNumber"/></td></tr>
      <tr><th>State ids</th><td><xsl:for-each select="r:sidNumber"><xsl:value-of select="."/><xsl:text> </xsl:text></xsl:for-each></td></tr>
      <tr><th>Dates of birth</th><td><xsl:for-each select="r:birthdate"><xsl:call-template name="date"><xsl:with-param name="d" select="."/></xsl:call-template><xsl:text> </xsl:text></xsl:for-each></td></tr>
      <tr><th>Sex</th><td><xsl:for-each select="r:sex"><xsl:value-of select="."/><xsl:text> </xsl:text></xsl:for-each></td></tr>
      <tr><th>Race</th><td><xsl:for-each select="r:race"><xsl:value-of select="."/><xsl:text> </xsl:text></xsl:for-each></td></tr>
      <tr><th>Height</th><td><xsl:for-each select="r:heightInfo"><xsl:value-of select="r:height"/><xsl:text> </xsl:text></xsl:for-each></td></tr>
      <tr><th>Weight</th><td><xsl:for-each select="r:weightInfo"><xsl:value-of select="r:weight"/><xsl:text> </xsl:text></xsl:for-each></td></tr>
      <tr><th>Eyes</th><td><xsl:for-each select="r:eyeColorInfo"><xsl:value-of select="r:eyeColor"/><xsl:text> </xsl:text></xsl:for-each></td></tr>
      <tr><th>Hair</th><td><xsl:for-each select="r:hairColorInfo"><xsl:value-of select="r:hairColor"/><xsl:text> </xsl:text></xsl:for-each></td></tr>
      <xsl:for-each select="r:cautionInfo">
        <tr class="caution"><th>Caution</th><td><xsl:value-of select="r:caution"/></td></tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template match="r:cycle">
    <div class="cycle">
      <h3>Cycle <xsl:value-of select="position()"/>: <xsl:call-template name="date"><xsl:with-param name="d" select="r:earliestDate"/></xsl:call-template></h3>
      <xsl:for-each select="r:arrestSegment">
        <p>Arrest <xsl:call-template name="date"><xsl:with-param name="d" select="r:arrestDate"/></xsl:call-template>
          by <xsl:value-of select="r:agencyORI"/><xsl:text> </xsl:text><xsl:value-of select="r:agencyName"/></p>
        <ul><xsl:for-each select="r:arrestCharge"><li><xsl:value-of select="r:chargeDescription"/> (<xsl:value-of select="r:chargeSeverity"/>)</li></xsl:for-each></ul>
      </xsl:for-each>
      <xsl:for-each select="r:courtSegment">
        <p>Court <xsl:call-template name="date"><xsl:with-param name="d" select="r:courtDate"/></xsl:call-template>
          <xsl:text> </xsl:text><xsl:value-of select="r:courtORI"/><xsl:text> </xsl:text><xsl:value-of select="r:courtName"/></p>
        <ul><xsl:for-each select="r:courtCharge"><li><xsl:value-of select="r:chargeDescription"/> (<xsl:value-of select="r:chargeSeverity"/>):
          <xsl:value-of select="r:courtActionType"/><xsl:text> </xsl:text><xsl:value-of select="r:disposition"/></li></xsl:for-each></ul>
      </xsl:for-each>
      <xsl:for-each select="r:custodySegment">
        <p>Custody <xsl:call-template name="date"><xsl:with-param name="d" select="r:custodyDate"/></xsl:call-template>: <xsl:value-of select="r:custodyStatus"/></p>
      </xsl:for-each>
      <xsl:for-each select="r:supervisionSegment">
        <p>Supervision <xsl:call-template name="date"><xsl:with-param name="d" select="r:supervisionDate"/></xsl:call-template>: <xsl:value-of select="r:supervisionStatus"/></p>
      </xsl:for-each>
    </div>
  </xsl:template>

  <xsl:template match="r:summary">
    <h2>Summary</h2>
    <table class="summary">
      <tr><th>Total arrests</th><td><xsl:value-of select="r:totalArrests"/></td></tr>
      <tr><th></th><th>Felony</th><th>Misdemeanor</th><th>Local ordinance</th><th>Other</th><th>Unknown</th></tr>
      <xsl:for-each select="r:totalCharges | r:totalConvictions">
        <tr><th><xsl:choose><xsl:when test="local-name() = 'totalCharges'">Charges</xsl:when><xsl:otherwise>Convictions</xsl:otherwise></xsl:choose></th>
          <td><xsl:value-of select="r:felony"/></td><td><xsl:value-of select="r:misdemeanor"/></td>
          <td><xsl:value-of select="r:localOrdinance"/></td><td><xsl:value-of select="r:other"/></td>
          <td><xsl:value-of select="r:unknown"/></td></tr>
      </xsl:for-each>
      <tr><th>Failures to appear</th><td><xsl:value-of select="r:totalFailuresToAppear"/></td></tr>
      <tr><th>Revocations</th><td><xsl:value-of select="r:totalRevocations"/></td></tr>
      <tr><th>IFFS</th><td><xsl:value-of select="r:iffsDisqualified"/></td></tr>
      <tr><th>First event</th><td><xsl:call-template name="date"><xsl:with-param name="d" select="r:firstEventDate"/></xsl:call-template></td></tr>
      <tr><th>Last event</th><td><xsl:call-template name="date"><xsl:with-param name="d" select="r:lastEventDate"/></xsl:call-template></td></tr>
    </table>
  </xsl:template>
</xsl:stylesheet>
