<?xml version="1.0" encoding="UTF-8"?>
<!--
  What the HTML and the text presentations share: how a value is shown to a reader (dates,
  SSN, height, durations) and the code tables decoded into words. present.py appends these
  templates to both style sheets before compiling them (an xsl:include would need file
  access, which the transforms are denied). Every template writes text only, never markup, so
  the text rendering can call them as they are. XSLT 1.0.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:r="http://www.nlets.org/formats/rapsheet">

  <!-- CCYYMMDD as CCYY-MM-DD; anything else as sent, never dropped. A 2.00 date is eight digits
       (Date8 in the XSD), so the length alone tells them apart: no digit test on the hottest
       template of a long record (python -m bench rapsheets). -->
  <xsl:template name="date">
    <xsl:param name="d"/>
    <xsl:variable name="s" select="string($d)"/>
    <xsl:choose>
      <xsl:when test="string-length($s) = 8">
        <xsl:value-of select="concat(substring($s, 1, 4), '-', substring($s, 5, 2), '-', substring($s, 7, 2))"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- 220565860 as 220-56-5860, for reading (the transmission keeps nine digits). -->
  <xsl:template name="ssn">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="string-length($s) = 9">
        <xsl:value-of select="concat(substring($s, 1, 3), '-', substring($s, 4, 2), '-', substring($s, 6, 4))"/>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A heightInfo as feet and inches: 601 (feet-inches) and 73 (inches) are both 6'01". -->
  <xsl:template name="height">
    <xsl:variable name="h" select="r:height"/>
    <xsl:variable name="inches">
      <xsl:choose>
        <xsl:when test="r:height/@unit = 'inches'"><xsl:value-of select="$h"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="floor($h div 100) * 12 + $h mod 100"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:value-of select="concat(floor($inches div 12), &quot;'&quot;, format-number($inches mod 12, '00'), '&quot;')"/>
  </xsl:template>

  <!-- An ISO 8601 duration (P2Y6M, PT40H) in words ("2 years 6 months"); other text as sent. -->
  <!-- An ISO 8601 duration in words; anything else (P12, P1.5: no unit at the end, which would
       leave duration-parts nothing to consume) is shown as sent. -->
  <xsl:template name="duration">
    <xsl:param name="d"/>
    <xsl:choose>
      <xsl:when test="starts-with($d, 'P') and string-length($d) &gt; 2 and translate(substring($d, 2), '0123456789.YMWDTHS', '') = '' and contains('YMWDHST', substring($d, string-length($d)))">
        <xsl:call-template name="duration-parts">
          <xsl:with-param name="s" select="substring($d, 2)"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$d"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="duration-parts">
    <xsl:param name="s"/>
    <xsl:param name="time" select="false()"/>
    <xsl:param name="first" select="true()"/>
    <xsl:if test="$s != ''">
      <xsl:variable name="unit" select="substring(translate($s, '0123456789.', ''), 1, 1)"/>
      <xsl:choose>
        <xsl:when test="$unit = 'T'">
          <xsl:call-template name="duration-parts">
            <xsl:with-param name="s" select="substring-after($s, 'T')"/>
            <xsl:with-param name="time" select="true()"/>
            <xsl:with-param name="first" select="$first"/>
          </xsl:call-template>
        </xsl:when>
        <xsl:otherwise>
          <xsl:variable name="n" select="substring-before($s, $unit)"/>
          <xsl:if test="not($first)"><xsl:text> </xsl:text></xsl:if>
          <xsl:value-of select="concat($n, ' ')"/>
          <xsl:choose>
            <xsl:when test="$unit = 'Y'">year</xsl:when>
            <xsl:when test="$unit = 'M' and $time">minute</xsl:when>
            <xsl:when test="$unit = 'M'">month</xsl:when>
            <xsl:when test="$unit = 'W'">week</xsl:when>
            <xsl:when test="$unit = 'D'">day</xsl:when>
            <xsl:when test="$unit = 'H'">hour</xsl:when>
            <xsl:when test="$unit = 'S'">second</xsl:when>
          </xsl:choose>
          <xsl:if test="$n != '1'">s</xsl:if>
          <xsl:call-template name="duration-parts">
            <xsl:with-param name="s" select="substring-after($s, $unit)"/>
            <xsl:with-param name="time" select="$time"/>
            <xsl:with-param name="first" select="false()"/>
          </xsl:call-template>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:if>
  </xsl:template>

  <!-- Court Action Types with a meaning (jdx.exchanges.rapsheets.model.COURT_ACTIONS). -->
  <xsl:template name="court-action-words">
    <xsl:param name="c"/>
    <xsl:choose>
      <xsl:when test="$c = '310'">Convicted</xsl:when>
      <xsl:when test="$c = '401'">Failure to appear</xsl:when>
      <xsl:when test="$c = '501'">Probation revoked</xsl:when>
      <xsl:when test="$c = '502'">Parole revoked</xsl:when>
      <xsl:when test="$c = '503'">Conditional release revoked</xsl:when>
      <xsl:when test="$c = '504'">Other supervision revoked</xsl:when>
      <xsl:otherwise>Code without a meaning in the hub's table</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Purpose codes (seed 3.1, Rap Sheet Request Reference). -->
  <xsl:template name="purpose-words">
    <xsl:param name="c"/>
    <xsl:choose>
      <xsl:when test="$c = 'A'">Administrative file maintenance</xsl:when>
      <xsl:when test="$c = 'C'">Criminal justice</xsl:when>
      <xsl:when test="$c = 'D'">Domestic violence and stalking, civil and criminal court cases</xsl:when>
      <xsl:when test="$c = 'F'">Firearms-related background checks</xsl:when>
      <xsl:when test="$c = 'H'">Public housing background checks</xsl:when>
      <xsl:when test="$c = 'I'">Interstate approved non-criminal justice licensing and employment background checks</xsl:when>
      <xsl:when test="$c = 'J'">Criminal justice employment background checks</xsl:when>
      <xsl:when test="$c = 'S'">National security background checks</xsl:when>
      <xsl:when test="$c = 'V'">Visa applications initiated by the US Department of State</xsl:when>
      <xsl:when test="$c = 'X'">Caregiver background checks, exigent circumstances</xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- IFFS / FIFS flags: the seed gives the meaning of D and F only (Table 4). -->
  <xsl:template name="iffs-words">
    <xsl:param name="c"/>
    <xsl:choose>
      <xsl:when test="$c = 'D'">Disqualified (IFFS)</xsl:when>
      <xsl:when test="$c = 'F'">Felony flag (FIFS)</xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="yes-no">
    <xsl:param name="b"/>
    <xsl:choose>
      <xsl:when test="$b = 'true' or $b = '1'">Yes</xsl:when>
      <xsl:when test="$b = 'false' or $b = '0'">No</xsl:when>
      <xsl:otherwise><xsl:value-of select="$b"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- "Felony (class FA: FELONY FIRST DEGREE)": the seed's class and the state's own. -->
  <xsl:template name="severity">
    <xsl:value-of select="r:chargeSeverity"/>
    <xsl:if test="r:severityClass or r:severityText">
      <xsl:text> (</xsl:text>
      <xsl:if test="r:severityClass"><xsl:value-of select="concat('class ', r:severityClass)"/></xsl:if>
      <xsl:if test="r:severityClass and r:severityText">: </xsl:if>
      <xsl:value-of select="r:severityText"/>
      <xsl:text>)</xsl:text>
    </xsl:if>
  </xsl:template>

  <!-- An agency or court: its name with the ORI, or whichever of the two was sent. -->
  <xsl:template name="agency">
    <xsl:param name="ori"/>
    <xsl:param name="name"/>
    <xsl:choose>
      <xsl:when test="$name and $ori"><xsl:value-of select="concat($name, ' (', $ori, ')')"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="concat($name, $ori)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="name">
    <xsl:value-of select="r:last"/>
    <xsl:if test="r:first or r:middle or r:suffix">,</xsl:if>
    <xsl:for-each select="r:first | r:middle | r:suffix">
      <xsl:value-of select="concat(' ', .)"/>
    </xsl:for-each>
  </xsl:template>
  <!-- a protection order in one line of words, for both presentations -->
  <xsl:template name="protection-order">
    <xsl:value-of select="r:orderType"/><xsl:if test="not(r:orderType)">Order</xsl:if>
    <xsl:if test="r:orderNumber"><xsl:text> </xsl:text><xsl:value-of select="r:orderNumber"/></xsl:if>
    <xsl:if test="r:issuedDate">, issued <xsl:call-template name="date"><xsl:with-param name="d" select="r:issuedDate"/></xsl:call-template></xsl:if>
    <xsl:if test="r:issuingCourt"> by <xsl:value-of select="r:issuingCourt"/></xsl:if>
    <xsl:if test="r:caseNumber"> (case <xsl:value-of select="r:caseNumber"/>)</xsl:if>
    <xsl:if test="r:service">; <xsl:value-of select="r:service"/></xsl:if>
    <xsl:if test="r:servedDate"> <xsl:text> </xsl:text><xsl:call-template name="date"><xsl:with-param name="d" select="r:servedDate"/></xsl:call-template></xsl:if>
    <xsl:if test="r:expirationDate">; expires <xsl:call-template name="date"><xsl:with-param name="d" select="r:expirationDate"/></xsl:call-template></xsl:if>
    <xsl:if test="r:description">; <xsl:value-of select="r:description"/></xsl:if>
  </xsl:template>

</xsl:stylesheet>
