<?xml version="1.0" encoding="UTF-8"?>
<!--
  Presentation format: a rap sheet 2.00 as a plain-text NLETS message (seed 2.7), the same
  content in the same order as the HTML page, wrapped at 80 columns. XSLT 1.0; the shared
  templates (dates, SSN, height, durations, code tables) are in rapsheet-common.xsl.
  Codes decoded into words keep the code in brackets: "Convicted [310]".
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:r="http://www.nlets.org/formats/rapsheet">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:variable name="nl" select="'&#10;'"/>
  <xsl:variable name="spaces" select="'                        '"/>
  <xsl:variable name="rule" select="'================================================================================'"/>

  <!-- one logical line, whitespace collapsed, wrapped at 80 columns ======================== -->
  <xsl:template name="line">
    <xsl:param name="indent" select="''"/>
    <xsl:param name="label" select="''"/>
    <xsl:param name="text"/>
    <xsl:variable name="head">
      <xsl:if test="$label != ''"><xsl:value-of select="concat($label, ': ')"/></xsl:if>
    </xsl:variable>
    <xsl:call-template name="wrap">
      <xsl:with-param name="text" select="normalize-space(concat($head, $text))"/>
      <xsl:with-param name="indent" select="$indent"/>
      <xsl:with-param name="next" select="concat($indent, '    ')"/>
    </xsl:call-template>
  </xsl:template>

  <!-- an identification row: the label in a column of 24, the value after it -->
  <xsl:template name="row">
    <xsl:param name="label"/>
    <xsl:param name="text"/>
    <xsl:call-template name="wrap">
      <xsl:with-param name="text" select="concat($label, substring($spaces, string-length($label) + 1), normalize-space($text))"/>
      <xsl:with-param name="indent" select="''"/>
      <xsl:with-param name="next" select="$spaces"/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="wrap">
    <xsl:param name="text"/>
    <xsl:param name="indent"/>
    <xsl:param name="next"/>
    <xsl:variable name="room" select="80 - string-length($indent)"/>
    <xsl:choose>
      <xsl:when test="string-length($text) &lt;= $room">
        <xsl:value-of select="concat($indent, $text, $nl)"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="cut">
          <xsl:call-template name="before-last-space">
            <xsl:with-param name="s" select="substring($text, 1, $room + 1)"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:choose>
          <xsl:when test="string-length($cut) = 0">
            <xsl:value-of select="concat($indent, substring($text, 1, $room), $nl)"/>
            <xsl:call-template name="wrap">
              <xsl:with-param name="text" select="substring($text, $room + 1)"/>
              <xsl:with-param name="indent" select="$next"/>
              <xsl:with-param name="next" select="$next"/>
            </xsl:call-template>
          </xsl:when>
          <xsl:otherwise>
            <xsl:value-of select="concat($indent, $cut, $nl)"/>
            <xsl:call-template name="wrap">
              <xsl:with-param name="text" select="substring($text, string-length($cut) + 2)"/>
              <xsl:with-param name="indent" select="$next"/>
              <xsl:with-param name="next" select="$next"/>
            </xsl:call-template>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="before-last-space">
    <xsl:param name="s"/>
    <xsl:if test="contains($s, ' ')">
      <xsl:variable name="rest" select="substring-after($s, ' ')"/>
      <xsl:value-of select="substring-before($s, ' ')"/>
      <xsl:if test="contains($rest, ' ')">
        <xsl:text> </xsl:text>
        <xsl:call-template name="before-last-space"><xsl:with-param name="s" select="$rest"/></xsl:call-template>
      </xsl:if>
    </xsl:if>
  </xsl:template>

  <xsl:template name="heading">
    <xsl:param name="title"/>
    <xsl:value-of select="concat($nl, $title, $nl, substring($rule, 1, string-length($title)), $nl)"/>
  </xsl:template>

  <!-- the sheet =========================================================================== -->
  <xsl:template match="/r:rapSheet">
    <xsl:text>CRIMINAL HISTORY RECORD</xsl:text><xsl:value-of select="$nl"/>
    <xsl:value-of select="concat($rule, $nl)"/>
    <xsl:apply-templates select="r:introduction"/>
    <xsl:apply-templates select="r:identification"/>
    <xsl:call-template name="heading"><xsl:with-param name="title" select="'CRIMINAL HISTORY'"/></xsl:call-template>
    <xsl:if test="not(r:cycle)"><xsl:value-of select="concat('No criminal justice events reported.', $nl)"/></xsl:if>
    <xsl:apply-templates select="r:cycle"/>
    <xsl:if test="r:agencyInfo">
      <xsl:call-template name="heading"><xsl:with-param name="title" select="'AGENCIES'"/></xsl:call-template>
      <xsl:apply-templates select="r:agencyInfo"/>
    </xsl:if>
    <xsl:if test="r:sourceData">
      <xsl:call-template name="heading"><xsl:with-param name="title" select="'OTHER INFORMATION FROM THE SOURCE'"/></xsl:call-template>
      <xsl:call-template name="source"/>
    </xsl:if>
    <xsl:apply-templates select="r:summary"/>
  </xsl:template>

  <xsl:template match="r:introduction">
    <xsl:for-each select="r:caveatInfo">
      <xsl:call-template name="line">
        <xsl:with-param name="label">CAVEAT<xsl:if test="r:state"> (<xsl:value-of select="r:state"/>)</xsl:if></xsl:with-param>
        <xsl:with-param name="text"><xsl:value-of select="r:caveat"/><xsl:if test="r:index">Fixed caveat <xsl:value-of select="r:index"/></xsl:if>
          <xsl:if test="r:authority or r:date"> - <xsl:value-of select="r:authority"/><xsl:if test="r:authority and r:date">, </xsl:if><xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template></xsl:if></xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:for-each select="r:request">
      <xsl:call-template name="line">
        <xsl:with-param name="label" select="'REQUESTED'"/>
        <xsl:with-param name="text"><xsl:value-of select="r:name"/>
          <xsl:if test="r:fbiNumber"> - FBI <xsl:value-of select="r:fbiNumber"/></xsl:if>
          <xsl:if test="r:sidNumber"> - SID <xsl:value-of select="r:sidNumber"/></xsl:if>
          <xsl:if test="r:purposeCode"> - purpose: <xsl:call-template name="purpose-words"><xsl:with-param name="c" select="r:purposeCode"/></xsl:call-template> [<xsl:value-of select="r:purposeCode"/>]</xsl:if>
          <xsl:if test="r:attention"> - attention <xsl:value-of select="r:attention"/></xsl:if></xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
  </xsl:template>

  <!-- identification ====================================================================== -->
  <xsl:template match="r:identification">
    <xsl:call-template name="heading"><xsl:with-param name="title" select="'IDENTIFICATION'"/></xsl:call-template>
    <xsl:for-each select="r:subjectName">
      <xsl:call-template name="row">
        <xsl:with-param name="label"><xsl:choose><xsl:when test="position() = 1">NAME</xsl:when><xsl:otherwise>ALSO KNOWN AS</xsl:otherwise></xsl:choose></xsl:with-param>
        <xsl:with-param name="text"><xsl:call-template name="name"/></xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:for-each select="r:fbiNumber"><xsl:call-template name="row"><xsl:with-param name="label" select="'FBI NUMBER'"/><xsl:with-param name="text" select="."/></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:sidNumber"><xsl:call-template name="row"><xsl:with-param name="label" select="'STATE ID (SID)'"/><xsl:with-param name="text" select="."/></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:ssn"><xsl:call-template name="row"><xsl:with-param name="label" select="'SOCIAL SECURITY NUMBER'"/><xsl:with-param name="text"><xsl:call-template name="ssn"><xsl:with-param name="s" select="."/></xsl:call-template></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:driversLicense"><xsl:call-template name="row"><xsl:with-param name="label" select="&quot;DRIVER'S LICENSE&quot;"/><xsl:with-param name="text" select="concat(r:number, ' (', r:state, ')')"/></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:birthdate"><xsl:call-template name="row"><xsl:with-param name="label" select="'DATE OF BIRTH'"/><xsl:with-param name="text"><xsl:call-template name="date"><xsl:with-param name="d" select="."/></xsl:call-template></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:call-template name="simple-rows"><xsl:with-param name="label" select="'SEX'"/><xsl:with-param name="items" select="r:sex"/></xsl:call-template>
    <xsl:call-template name="simple-rows"><xsl:with-param name="label" select="'RACE'"/><xsl:with-param name="items" select="r:race"/></xsl:call-template>
    <xsl:call-template name="simple-rows"><xsl:with-param name="label" select="'ETHNICITY'"/><xsl:with-param name="items" select="r:ethnicity"/></xsl:call-template>
    <xsl:for-each select="r:heightInfo"><xsl:call-template name="row"><xsl:with-param name="label" select="'HEIGHT'"/><xsl:with-param name="text"><xsl:call-template name="height"/><xsl:call-template name="reported"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:weightInfo"><xsl:call-template name="row"><xsl:with-param name="label" select="'WEIGHT'"/><xsl:with-param name="text"><xsl:value-of select="r:weight"/> lb<xsl:call-template name="reported"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:eyeColorInfo"><xsl:call-template name="row"><xsl:with-param name="label" select="'EYES'"/><xsl:with-param name="text"><xsl:value-of select="r:eyeColor"/><xsl:call-template name="reported"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:hairColorInfo"><xsl:call-template name="row"><xsl:with-param name="label" select="'HAIR'"/><xsl:with-param name="text"><xsl:value-of select="r:hairColor"/><xsl:call-template name="reported"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:call-template name="simple-rows"><xsl:with-param name="label" select="'SKIN TONE'"/><xsl:with-param name="items" select="r:skinTone"/></xsl:call-template>
    <xsl:call-template name="simple-rows"><xsl:with-param name="label" select="'BLOOD TYPE'"/><xsl:with-param name="items" select="r:bloodType"/></xsl:call-template>
    <xsl:call-template name="simple-rows"><xsl:with-param name="label" select="'MARITAL STATUS'"/><xsl:with-param name="items" select="r:maritalStatus"/></xsl:call-template>
    <xsl:call-template name="simple-rows"><xsl:with-param name="label" select="'PLACE OF BIRTH'"/><xsl:with-param name="items" select="r:birthplace"/></xsl:call-template>
    <xsl:call-template name="simple-rows"><xsl:with-param name="label" select="'CITIZENSHIP'"/><xsl:with-param name="items" select="r:citizenship"/></xsl:call-template>
    <xsl:call-template name="simple-rows"><xsl:with-param name="label" select="'FINGERPRINT CLASS'"/><xsl:with-param name="items" select="r:fpPatternClass"/></xsl:call-template>
    <xsl:for-each select="r:smtInfo"><xsl:call-template name="row"><xsl:with-param name="label" select="'SCAR, MARK, TATTOO'"/><xsl:with-param name="text"><xsl:value-of select="r:smt"/><xsl:if test="r:code">NCIC code <xsl:value-of select="r:code"/></xsl:if> - <xsl:call-template name="holding"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:palmPrints"><xsl:call-template name="row"><xsl:with-param name="label" select="'PALM PRINTS HELD BY'"/><xsl:with-param name="text"><xsl:call-template name="holding"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:photo"><xsl:call-template name="row"><xsl:with-param name="label" select="'PHOTO HELD BY'"/><xsl:with-param name="text"><xsl:call-template name="holding"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:dna"><xsl:call-template name="row"><xsl:with-param name="label" select="'DNA HELD BY'"/><xsl:with-param name="text"><xsl:call-template name="holding"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:residence"><xsl:call-template name="row"><xsl:with-param name="label" select="'RESIDENCE'"/><xsl:with-param name="text"><xsl:value-of select="r:address"/><xsl:call-template name="reported"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:employment"><xsl:call-template name="row"><xsl:with-param name="label" select="'EMPLOYMENT'"/><xsl:with-param name="text"><xsl:value-of select="r:occupation"/><xsl:if test="r:occupation and r:employer">, </xsl:if><xsl:value-of select="r:employer"/><xsl:call-template name="reported"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:cautionInfo"><xsl:call-template name="row"><xsl:with-param name="label" select="'CAUTION'"/><xsl:with-param name="text"><xsl:value-of select="r:caution"/><xsl:call-template name="by-state"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:iffsDisqualified"><xsl:call-template name="row"><xsl:with-param name="label" select="'FIREARM SALES (IFFS)'"/><xsl:with-param name="text"><xsl:call-template name="iffs-words"><xsl:with-param name="c" select="."/></xsl:call-template> [<xsl:value-of select="."/>]</xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:offenderNoticeInfo"><xsl:call-template name="row"><xsl:with-param name="label" select="'OFFENDER NOTICE'"/><xsl:with-param name="text"><xsl:value-of select="r:offenderNotice"/><xsl:if test="r:index">Fixed notice <xsl:value-of select="r:index"/></xsl:if><xsl:call-template name="by-state"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:registeredOffender"><xsl:call-template name="row"><xsl:with-param name="label" select="'REGISTERED OFFENDER'"/><xsl:with-param name="text"><xsl:call-template name="yes-no"><xsl:with-param name="b" select="."/></xsl:call-template></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:deathDate"><xsl:call-template name="row"><xsl:with-param name="label" select="'DATE OF DEATH'"/><xsl:with-param name="text"><xsl:call-template name="date"><xsl:with-param name="d" select="."/></xsl:call-template></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:protectionOrder"><xsl:call-template name="row"><xsl:with-param name="label" select="'PROTECTION ORDER'"/><xsl:with-param name="text"><xsl:call-template name="protection-order"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:commentsInfo"><xsl:call-template name="row"><xsl:with-param name="label" select="'COMMENT'"/><xsl:with-param name="text"><xsl:value-of select="r:comment"/><xsl:call-template name="by-state"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:correctionalNumber"><xsl:call-template name="row"><xsl:with-param name="label" select="'CORRECTIONAL NUMBER'"/><xsl:with-param name="text"><xsl:value-of select="r:number"/><xsl:if test="r:state"> (<xsl:value-of select="r:state"/>)</xsl:if></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:miscId"><xsl:call-template name="row"><xsl:with-param name="label" select="'OTHER IDENTIFIER'"/><xsl:with-param name="text"><xsl:if test="r:type"><xsl:value-of select="r:type"/>: </xsl:if><xsl:value-of select="r:number"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:if test="r:sourceData">
      <xsl:value-of select="concat('OTHER INFORMATION FROM THE SOURCE', $nl)"/>
      <xsl:call-template name="source"><xsl:with-param name="indent" select="'  '"/></xsl:call-template>
    </xsl:if>
  </xsl:template>

  <xsl:template name="simple-rows">
    <xsl:param name="label"/>
    <xsl:param name="items"/>
    <xsl:if test="$items">
      <xsl:call-template name="row">
        <xsl:with-param name="label" select="$label"/>
        <xsl:with-param name="text"><xsl:for-each select="$items"><xsl:if test="position() &gt; 1">, </xsl:if><xsl:value-of select="."/></xsl:for-each></xsl:with-param>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <xsl:template name="reported">
    <xsl:if test="r:date"> (reported <xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template>)</xsl:if>
  </xsl:template>

  <xsl:template name="by-state">
    <xsl:if test="r:state or r:date"> (<xsl:value-of select="r:state"/><xsl:if test="r:state and r:date">, </xsl:if><xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template>)</xsl:if>
  </xsl:template>

  <xsl:template name="holding">
    <xsl:call-template name="agency"><xsl:with-param name="ori" select="r:agencyORI"/><xsl:with-param name="name" select="r:agencyName"/></xsl:call-template>
    <xsl:if test="r:format">; format <xsl:value-of select="r:format"/></xsl:if>
    <xsl:if test="r:link">; how to obtain: <xsl:value-of select="r:link"/></xsl:if>
    <xsl:if test="r:date">; <xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template></xsl:if>
  </xsl:template>

  <xsl:template name="source">
    <xsl:param name="indent" select="''"/>
    <xsl:for-each select="r:sourceData">
      <xsl:call-template name="line">
        <xsl:with-param name="indent" select="$indent"/>
        <xsl:with-param name="text" select="concat(r:path, ' = ', r:value)"/>
      </xsl:call-template>
    </xsl:for-each>
  </xsl:template>

  <!-- cycles ============================================================================== -->
  <xsl:template match="r:cycle">
    <xsl:value-of select="$nl"/>
    <xsl:call-template name="line">
      <xsl:with-param name="text">CYCLE <xsl:value-of select="position()"/>: <xsl:call-template name="date"><xsl:with-param name="d" select="r:earliestDate"/></xsl:call-template>
        <xsl:if test="r:trackingNumber"> - TRACKING NUMBER (OTN) <xsl:value-of select="r:trackingNumber"/></xsl:if></xsl:with-param>
    </xsl:call-template>
    <xsl:for-each select="r:cycleCaveat">
      <xsl:call-template name="line">
        <xsl:with-param name="indent" select="'  '"/>
        <xsl:with-param name="label" select="'CYCLE CAVEAT'"/>
        <xsl:with-param name="text"><xsl:value-of select="r:caveat"/><xsl:if test="r:authority or r:date"> - <xsl:value-of select="r:authority"/><xsl:if test="r:authority and r:date">, </xsl:if><xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template></xsl:if></xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:apply-templates select="r:arrestSegment | r:bookingSegment | r:juvenileSegment | r:prosecutionSegment | r:courtSegment | r:sentencingSegment | r:custodySegment | r:supervisionSegment | r:postSentenceSegment"/>
    <xsl:if test="r:sourceData">
      <xsl:value-of select="concat('  OTHER INFORMATION FROM THE SOURCE', $nl)"/>
      <xsl:call-template name="source"><xsl:with-param name="indent" select="'    '"/></xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- the first line of a segment: what, when, who, and the segment's own facts -->
  <xsl:template name="segment">
    <xsl:param name="title"/>
    <xsl:param name="d"/>
    <xsl:param name="ori" select="r:agencyORI"/>
    <xsl:param name="name" select="r:agencyName"/>
    <xsl:param name="facts"/>
    <xsl:call-template name="line">
      <xsl:with-param name="indent" select="'  '"/>
      <xsl:with-param name="text"><xsl:value-of select="$title"/><xsl:text> </xsl:text><xsl:call-template name="date"><xsl:with-param name="d" select="$d"/></xsl:call-template> - <xsl:call-template name="agency"><xsl:with-param name="ori" select="$ori"/><xsl:with-param name="name" select="$name"/></xsl:call-template><xsl:value-of select="$facts"/></xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="r:arrestSegment">
    <xsl:call-template name="segment">
      <xsl:with-param name="title" select="'ARREST'"/>
      <xsl:with-param name="d" select="r:arrestDate"/>
      <xsl:with-param name="facts"><xsl:if test="r:caseNumber"> - ARREST NUMBER <xsl:value-of select="r:caseNumber"/></xsl:if><xsl:if test="r:subjectName"> - NAME USED <xsl:value-of select="r:subjectName"/></xsl:if></xsl:with-param>
    </xsl:call-template>
    <xsl:apply-templates select="r:arrestCharge" mode="charge"/>
  </xsl:template>

  <xsl:template match="r:bookingSegment">
    <xsl:call-template name="segment">
      <xsl:with-param name="title" select="'BOOKING'"/>
      <xsl:with-param name="d" select="r:bookingDate"/>
      <xsl:with-param name="facts"><xsl:if test="r:bookingNumber"> - BOOKING NUMBER <xsl:value-of select="r:bookingNumber"/></xsl:if><xsl:if test="r:subjectName"> - NAME USED <xsl:value-of select="r:subjectName"/></xsl:if></xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="r:juvenileSegment | r:prosecutionSegment">
    <xsl:call-template name="segment">
      <xsl:with-param name="title"><xsl:choose><xsl:when test="self::r:juvenileSegment">JUVENILE</xsl:when><xsl:otherwise>PROSECUTION</xsl:otherwise></xsl:choose></xsl:with-param>
      <xsl:with-param name="d" select="r:juvenileDate | r:prosecutionDate"/>
      <xsl:with-param name="facts"><xsl:if test="r:caseNumber"> - CASE NUMBER <xsl:value-of select="r:caseNumber"/></xsl:if></xsl:with-param>
    </xsl:call-template>
    <xsl:apply-templates select="r:juvenileCharge | r:prosecutionCharge" mode="charge"/>
  </xsl:template>

  <xsl:template match="r:courtSegment">
    <xsl:call-template name="segment">
      <xsl:with-param name="title" select="'COURT'"/>
      <xsl:with-param name="d" select="r:courtDate"/>
      <xsl:with-param name="ori" select="r:courtORI"/>
      <xsl:with-param name="name" select="r:courtName"/>
      <xsl:with-param name="facts"><xsl:if test="r:caseNumber"> - CASE NUMBER <xsl:value-of select="r:caseNumber"/></xsl:if><xsl:for-each select="r:caseStatus"> - STATUS <xsl:value-of select="."/></xsl:for-each></xsl:with-param>
    </xsl:call-template>
    <xsl:apply-templates select="r:courtCharge" mode="charge"/>
  </xsl:template>

  <xsl:template match="r:sentencingSegment">
    <xsl:call-template name="segment">
      <xsl:with-param name="title" select="'SENTENCING'"/>
      <xsl:with-param name="d" select="r:sentencingDate"/>
      <xsl:with-param name="ori" select="r:courtORI"/>
      <xsl:with-param name="name" select="r:courtName"/>
      <xsl:with-param name="facts"><xsl:if test="r:caseNumber"> - CASE NUMBER <xsl:value-of select="r:caseNumber"/></xsl:if></xsl:with-param>
    </xsl:call-template>
    <xsl:for-each select="r:sentence">
      <xsl:call-template name="line">
        <xsl:with-param name="indent" select="'    '"/>
        <xsl:with-param name="text">SENTENCE<xsl:if test="r:sentenceDescription">: <xsl:value-of select="r:sentenceDescription"/></xsl:if><xsl:if test="r:date"> (<xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template>)</xsl:if></xsl:with-param>
      </xsl:call-template>
      <xsl:for-each select="r:term">
        <xsl:call-template name="line">
          <xsl:with-param name="indent" select="'      '"/>
          <xsl:with-param name="label">TERM<xsl:if test="r:kind"> (<xsl:value-of select="r:kind"/>)</xsl:if></xsl:with-param>
          <xsl:with-param name="text"><xsl:if test="r:minimum">minimum <xsl:call-template name="duration"><xsl:with-param name="d" select="r:minimum"/></xsl:call-template></xsl:if><xsl:if test="r:minimum and r:maximum">, </xsl:if><xsl:if test="r:maximum">maximum <xsl:call-template name="duration"><xsl:with-param name="d" select="r:maximum"/></xsl:call-template></xsl:if><xsl:if test="r:description"> - <xsl:value-of select="r:description"/></xsl:if></xsl:with-param>
        </xsl:call-template>
      </xsl:for-each>
      <xsl:for-each select="r:fine"><xsl:call-template name="line"><xsl:with-param name="indent" select="'      '"/><xsl:with-param name="label" select="'FINE'"/><xsl:with-param name="text" select="."/></xsl:call-template></xsl:for-each>
      <xsl:for-each select="r:courtCost"><xsl:call-template name="line"><xsl:with-param name="indent" select="'      '"/><xsl:with-param name="label" select="'COURT COSTS'"/><xsl:with-param name="text" select="."/></xsl:call-template></xsl:for-each>
      <xsl:for-each select="r:condition"><xsl:call-template name="line"><xsl:with-param name="indent" select="'      '"/><xsl:with-param name="label" select="'CONDITION'"/><xsl:with-param name="text" select="."/></xsl:call-template></xsl:for-each>
      <xsl:if test="r:sentenceCharge"><xsl:value-of select="concat('      FOR THE CHARGES', $nl)"/></xsl:if>
      <xsl:apply-templates select="r:sentenceCharge" mode="charge"><xsl:with-param name="indent" select="'        '"/></xsl:apply-templates>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="r:custodySegment | r:supervisionSegment">
    <xsl:call-template name="segment">
      <xsl:with-param name="title"><xsl:choose><xsl:when test="self::r:custodySegment">CUSTODY</xsl:when><xsl:otherwise>SUPERVISION</xsl:otherwise></xsl:choose></xsl:with-param>
      <xsl:with-param name="d" select="r:custodyDate | r:supervisionDate"/>
      <xsl:with-param name="facts">
        <xsl:for-each select="r:custodyStatus | r:supervisionStatus"> - STATUS <xsl:value-of select="."/></xsl:for-each>
        <xsl:if test="r:releaseDate"> - RELEASED <xsl:call-template name="date"><xsl:with-param name="d" select="r:releaseDate"/></xsl:call-template></xsl:if>
        <xsl:if test="r:endDate"> - ENDS <xsl:call-template name="date"><xsl:with-param name="d" select="r:endDate"/></xsl:call-template></xsl:if>
        <xsl:if test="r:offense"> - OFFENSE <xsl:value-of select="r:offense"/></xsl:if>
        <xsl:for-each select="r:caseNumber"> - CASE NUMBER <xsl:value-of select="."/></xsl:for-each>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:apply-templates select="r:custodyCharge | r:supervisionCharge" mode="charge"/>
  </xsl:template>

  <xsl:template match="r:postSentenceSegment">
    <xsl:call-template name="segment">
      <xsl:with-param name="title" select="'POST-SENTENCE'"/>
      <xsl:with-param name="d" select="r:actionDate"/>
      <xsl:with-param name="facts"><xsl:if test="r:event"> - EVENT <xsl:value-of select="r:event"/></xsl:if><xsl:if test="r:description"> - DETAILS <xsl:value-of select="r:description"/></xsl:if></xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <!-- a charge, the same shape at every stage ============================================= -->
  <xsl:template match="*" mode="charge">
    <xsl:param name="indent" select="'    '"/>
    <xsl:variable name="in" select="concat($indent, '  ')"/>
    <xsl:call-template name="line">
      <xsl:with-param name="indent" select="$indent"/>
      <xsl:with-param name="text">CHARGE<xsl:if test="r:chargeSequence"><xsl:text> </xsl:text><xsl:value-of select="r:chargeSequence"/></xsl:if>: <xsl:value-of select="r:chargeDescription"/></xsl:with-param>
    </xsl:call-template>
    <xsl:call-template name="line">
      <xsl:with-param name="indent" select="$in"/>
      <xsl:with-param name="label" select="'SEVERITY'"/>
      <xsl:with-param name="text"><xsl:call-template name="severity"/><xsl:if test="r:counts"> - <xsl:value-of select="r:counts"/> count<xsl:if test="r:counts != 1">s</xsl:if></xsl:if></xsl:with-param>
    </xsl:call-template>
    <xsl:for-each select="r:courtActionType">
      <xsl:call-template name="line">
        <xsl:with-param name="indent" select="$in"/>
        <xsl:with-param name="label" select="'COURT ACTION'"/>
        <xsl:with-param name="text"><xsl:call-template name="court-action-words"><xsl:with-param name="c" select="."/></xsl:call-template> [<xsl:value-of select="."/>]</xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:for-each select="r:chargeNote">
      <xsl:call-template name="line"><xsl:with-param name="indent" select="$in"/><xsl:with-param name="label" select="r:kind"/><xsl:with-param name="text" select="r:text"/></xsl:call-template>
    </xsl:for-each>
    <xsl:for-each select="r:statute">
      <xsl:call-template name="line">
        <xsl:with-param name="indent" select="$in"/>
        <xsl:with-param name="label" select="'STATUTE'"/>
        <xsl:with-param name="text"><xsl:value-of select="r:code"/><xsl:if test="r:jurisdiction"> (<xsl:value-of select="r:jurisdiction"/>)</xsl:if><xsl:if test="r:text"> - <xsl:value-of select="r:text"/></xsl:if><xsl:if test="r:offenseCode"> - offense code <xsl:value-of select="r:offenseCode"/></xsl:if><xsl:if test="r:offenseId"> - offense id <xsl:value-of select="r:offenseId"/></xsl:if></xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:if test="r:ncicCode or r:ncicText">
      <xsl:call-template name="line">
        <xsl:with-param name="indent" select="$in"/>
        <xsl:with-param name="label" select="'NCIC OFFENSE'"/>
        <xsl:with-param name="text"><xsl:value-of select="r:ncicCode"/><xsl:for-each select="r:ncicText"><xsl:if test="position() &gt; 1 or ../r:ncicCode"> - </xsl:if><xsl:value-of select="."/></xsl:for-each></xsl:with-param>
      </xsl:call-template>
    </xsl:if>
    <xsl:for-each select="r:disposition">
      <xsl:call-template name="line">
        <xsl:with-param name="indent" select="$in"/>
        <xsl:with-param name="label" select="'DISPOSITION'"/>
        <xsl:with-param name="text"><xsl:if test="r:date"><xsl:call-template name="date"><xsl:with-param name="d" select="r:date"/></xsl:call-template>: </xsl:if><xsl:value-of select="r:text"/><xsl:if test="r:detail"> - <xsl:value-of select="r:detail"/></xsl:if></xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:for-each select="r:sentence">
      <xsl:call-template name="line"><xsl:with-param name="indent" select="$in"/><xsl:with-param name="label" select="'SENTENCE'"/><xsl:with-param name="text" select="."/></xsl:call-template>
    </xsl:for-each>
    <xsl:if test="r:chargeId or r:chargeTrackingNumber or r:agencyRecordNumber">
      <xsl:call-template name="line">
        <xsl:with-param name="indent" select="$in"/>
        <xsl:with-param name="text"><xsl:if test="r:chargeId">CHARGE ID <xsl:value-of select="r:chargeId"/></xsl:if><xsl:if test="r:chargeTrackingNumber"><xsl:if test="r:chargeId"> - </xsl:if>CHARGE TRACKING NUMBER <xsl:value-of select="r:chargeTrackingNumber"/></xsl:if><xsl:if test="r:agencyRecordNumber"><xsl:if test="r:chargeId or r:chargeTrackingNumber"> - </xsl:if>AGENCY RECORD NUMBER <xsl:value-of select="r:agencyRecordNumber"/></xsl:if></xsl:with-param>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- agencies, summary =================================================================== -->
  <xsl:template match="r:agencyInfo">
    <xsl:call-template name="line">
      <xsl:with-param name="text"><xsl:value-of select="r:agencyORI"/><xsl:if test="r:agencyName"><xsl:text> </xsl:text><xsl:value-of select="r:agencyName"/></xsl:if><xsl:for-each select="r:agencyAddress | r:agencyPhone | r:agencyFax | r:agencyInternetAddress"> - <xsl:choose><xsl:when test="self::r:agencyPhone">phone </xsl:when><xsl:when test="self::r:agencyFax">fax </xsl:when></xsl:choose><xsl:value-of select="."/></xsl:for-each></xsl:with-param>
    </xsl:call-template>
  </xsl:template>

  <xsl:template match="r:summary">
    <xsl:call-template name="heading"><xsl:with-param name="title" select="'SUMMARY'"/></xsl:call-template>
    <xsl:value-of select="concat('                 FELONY  MISDEMEANOR  LOCAL ORDINANCE  OTHER  UNKNOWN  TOTAL', $nl)"/>
    <xsl:for-each select="r:totalCharges | r:totalConvictions">
      <xsl:variable name="what"><xsl:choose><xsl:when test="self::r:totalCharges">CHARGES</xsl:when><xsl:otherwise>CONVICTIONS</xsl:otherwise></xsl:choose></xsl:variable>
      <xsl:value-of select="concat(
        $what, substring($spaces, 1, 17 - string-length($what)),
        substring($spaces, 1, 6 - string-length(r:felony)), r:felony,
        substring($spaces, 1, 13 - string-length(r:misdemeanor)), r:misdemeanor,
        substring($spaces, 1, 17 - string-length(r:localOrdinance)), r:localOrdinance,
        substring($spaces, 1, 7 - string-length(r:other)), r:other,
        substring($spaces, 1, 9 - string-length(r:unknown)), r:unknown,
        substring($spaces, 1, 7 - string-length(r:felony + r:misdemeanor + r:localOrdinance + r:other + r:unknown)), r:felony + r:misdemeanor + r:localOrdinance + r:other + r:unknown, $nl)"/>
    </xsl:for-each>
    <xsl:call-template name="row"><xsl:with-param name="label" select="'ARRESTS'"/><xsl:with-param name="text" select="r:totalArrests"/></xsl:call-template>
    <xsl:call-template name="row"><xsl:with-param name="label" select="'FAILURES TO APPEAR'"/><xsl:with-param name="text" select="r:totalFailuresToAppear"/></xsl:call-template>
    <xsl:call-template name="row"><xsl:with-param name="label" select="'REVOCATIONS'"/><xsl:with-param name="text" select="r:totalRevocations"/></xsl:call-template>
    <xsl:for-each select="r:firstEventDate"><xsl:call-template name="row"><xsl:with-param name="label" select="'FIRST EVENT'"/><xsl:with-param name="text"><xsl:call-template name="date"><xsl:with-param name="d" select="."/></xsl:call-template></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:lastEventDate"><xsl:call-template name="row"><xsl:with-param name="label" select="'LAST EVENT'"/><xsl:with-param name="text"><xsl:call-template name="date"><xsl:with-param name="d" select="."/></xsl:call-template></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:iffsDisqualified"><xsl:call-template name="row"><xsl:with-param name="label" select="'FIREARM SALES (IFFS)'"/><xsl:with-param name="text"><xsl:call-template name="iffs-words"><xsl:with-param name="c" select="."/></xsl:call-template> [<xsl:value-of select="."/>]</xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:for-each select="r:cautionInfo"><xsl:call-template name="row"><xsl:with-param name="label" select="'CAUTION'"/><xsl:with-param name="text"><xsl:value-of select="r:caution"/><xsl:call-template name="by-state"/></xsl:with-param></xsl:call-template></xsl:for-each>
    <xsl:if test="r:unknownSeverityCode">
      <xsl:call-template name="row"><xsl:with-param name="label" select="'UNKNOWN SEVERITY CODES'"/><xsl:with-param name="text">counted as Unknown: <xsl:for-each select="r:unknownSeverityCode"><xsl:if test="position() &gt; 1">, </xsl:if><xsl:value-of select="."/></xsl:for-each></xsl:with-param></xsl:call-template>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
