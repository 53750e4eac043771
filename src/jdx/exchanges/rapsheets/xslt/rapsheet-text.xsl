<?xml version="1.0" encoding="UTF-8"?>
<!-- Presentation format: a rap sheet 2.00 as a plain-text NLETS message. XSLT 1.0. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:r="http://www.nlets.org/formats/rapsheet">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:variable name="nl" select="'&#10;'"/>

  <xsl:template match="/r:rapSheet">
    <xsl:text>CRIMINAL HISTORY RECORD</xsl:text><xsl:value-of select="$nl"/>
    <xsl:for-each select="r:introduction/r:caveatInfo">
      <xsl:value-of select="concat(r:state, ' ', r:caveat, r:index, $nl)"/>
    </xsl:for-each>
    <xsl:value-of select="$nl"/><xsl:text>IDENTIFICATION</xsl:text><xsl:value-of select="$nl"/>
    <xsl:for-each select="r:identification/r:subjectName">
      <xsl:value-of select="concat('NAME: ', r:last, ', ', r:first, ' ', r:middle, ' ', r:suffix, $nl)"/>
    </xsl:for-each>
    <xsl:for-each select="r:identification/r:fbiNumber"><xsl:value-of select="concat('FBI: ', ., $nl)"/></xsl:for-each>
    <xsl:for-each select="r:identification/r:sidNumber"><xsl:value-of select="concat('SID: ', ., $nl)"/></xsl:for-each>
    <xsl:for-each select="r:identification/r:birthdate"><xsl:value-of select="concat('DOB: ', ., $nl)"/></xsl:for-each>
    <xsl:for-each select="r:identification/r:cautionInfo"><xsl:value-of select="concat('CAUTION: ', r:caution, $nl)"/></xsl:for-each>
    <xsl:for-each select="r:cycle">
      <xsl:value-of select="concat($nl, 'CYCLE ', position(), ' ', r:earliestDate, $nl)"/>
      <xsl:for-each select="r:arrestSegment">
        <xsl:value-of select="concat('  ARREST ', r:arrestDate, ' ', r:agencyORI, ' ', r:agencyName, $nl)"/>
        <xsl:for-each select="r:arrestCharge">
          <xsl:value-of select="concat('    CHARGE: ', r:chargeDescription, ' (', r:chargeSeverity, ')', $nl)"/>
        </xsl:for-each>
      </xsl:for-each>
      <xsl:for-each select="r:courtSegment">
        <xsl:value-of select="concat('  COURT ', r:courtDate, ' ', r:courtORI, ' ', r:courtName, $nl)"/>
        <xsl:for-each select="r:courtCharge">
          <xsl:value-of select="concat('    CHARGE: ', r:chargeDescription, ' (', r:chargeSeverity, ') ', r:courtActionType, ' ', r:disposition, $nl)"/>
        </xsl:for-each>
      </xsl:for-each>
      <xsl:for-each select="r:custodySegment">
        <xsl:value-of select="concat('  CUSTODY ', r:custodyDate, ' ', r:custodyStatus, $nl)"/>
      </xsl:for-each>
      <xsl:for-each select="r:supervisionSegment">
        <xsl:value-of select="concat('  SUPERVISION ', r:supervisionDate, ' ', r:supervisionStatus, $nl)"/>
      </xsl:for-each>
    </xsl:for-each>
    <xsl:for-each select="r:summary">
      <xsl:value-of select="concat($nl, 'SUMMARY', $nl)"/>
      <xsl:value-of select="concat('TOTAL ARRESTS: ', r:totalArrests, $nl)"/>
      <xsl:for-each select="r:totalCharges | r:totalConvictions">
        <xsl:choose>
          <xsl:when test="local-name() = 'totalCharges'">CHARGES</xsl:when>
          <xsl:otherwise>CONVICTIONS</xsl:otherwise>
        </xsl:choose>
        <xsl:value-of select="concat(': FELONY ', r:felony, ' MISDEMEANOR ', r:misdemeanor, ' LOCAL ORDINANCE ', r:localOrdinance, ' OTHER ', r:other, ' UNKNOWN ', r:unknown, $nl)"/>
      </xsl:for-each>
      <xsl:value-of select="concat('FAILURES TO APPEAR: ', r:totalFailuresToAppear, $nl)"/>
      <xsl:value-of select="concat('REVOCATIONS: ', r:totalRevocations, $nl)"/>
      <xsl:if test="r:iffsDisqualified"><xsl:value-of select="concat('IFFS: ', r:iffsDisqualified, $nl)"/></xsl:if>
      <xsl:value-of select="concat('FIRST EVENT: ', r:firstEventDate, ' LAST EVENT: ', r:lastEventDate, $nl)"/>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
